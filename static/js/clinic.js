// Progressive enhancement only: every page works without this file.
document.addEventListener("htmx:afterSwap", (event) => {
  // Move focus to swapped content that replaced what the user was using.
  const target = event.detail.target;
  if (target && target.hasAttribute("data-focus-after-swap")) {
    const focusable = target.querySelector("h1, h2, h3, [tabindex], a, button, input");
    (focusable || target).focus({ preventScroll: false });
  }
  // A control that swapped itself away (a page link) names where focus goes next.
  const trigger = event.detail.requestConfig && event.detail.requestConfig.elt;
  const next = trigger && trigger.dataset && trigger.dataset.focusAfter;
  if (next && !document.body.contains(trigger)) {
    const element = document.querySelector(next);
    if (element) element.focus({ preventScroll: false });
  }
});
