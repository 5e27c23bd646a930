// The browser's time zone, for showing times where the person is (progressive
// enhancement: without this file times are in UTC until the person picks a zone).
(() => {
  let zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  if (!zone) return;

  // Sign-up: the hidden field; the server keeps it only if it is a listed zone.
  for (const field of document.querySelectorAll("input[data-detect-timezone]")) {
    if (!field.value) field.value = zone;
  }

  // Visitors: a cookie the server reads on the next request (accounts.middleware).
  const body = document.body;
  // Zone names are cookie-safe (letters, digits, "/", "_", "-", "+").
  if (!/^[A-Za-z0-9\/_+-]+$/.test(zone)) return;
  const cookie = "timezone=" + zone;
  const had = document.cookie.split("; ").includes(cookie);
  if (!had) {
    document.cookie = cookie + "; path=/; max-age=31536000; SameSite=Lax";
  }
  // A visitor whose first page came in another zone sees it again in theirs, once
  // (a zone the server does not list stays UTC: no reload loop).
  const shown = body.dataset.timezone;
  const visitor = body.dataset.timezoneSource === "visitor";
  if (visitor && !had && shown && shown !== zone && document.cookie.includes(cookie)) {
    try {
      if (sessionStorage.getItem("timezone-reloaded")) return;
      sessionStorage.setItem("timezone-reloaded", "1");
    } catch (error) {
      return;
    }
    window.location.replace(window.location.href);
  }
})();
