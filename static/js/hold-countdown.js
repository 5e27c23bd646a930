// The booking confirmation's hold: count down mm:ss, and say so when it runs out.
// Progressive enhancement: without this file the page names the clock time.
(function () {
  function start(box) {
    if (box.dataset.countdownStarted) return;
    box.dataset.countdownStarted = "1";
    const left = box.querySelector("[data-countdown-left]");
    const panel = box.closest("#booking-panel") || document;
    const expired = panel.querySelector("[data-hold-expired]");
    const seconds = parseInt(box.dataset.secondsLeft, 10);
    if (!left || Number.isNaN(seconds)) return;
    // From the seconds the server counted, on this device's monotonic clock.
    const ends = performance.now() + seconds * 1000;
    function tick() {
      const remaining = Math.max(0, Math.ceil((ends - performance.now()) / 1000));
      const minutes = Math.floor(remaining / 60);
      const rest = String(remaining % 60).padStart(2, "0");
      left.textContent = (left.dataset.template || "{time}").replace("{time}", `${minutes}:${rest}`);
      left.hidden = false;
      if (remaining <= 0) {
        clearInterval(timer);
        box.hidden = true;
        if (expired) expired.hidden = false;
      }
    }
    const timer = setInterval(tick, 1000);
    tick();
  }
  function scan() {
    document.querySelectorAll("[data-hold-countdown]").forEach(start);
  }
  document.addEventListener("DOMContentLoaded", scan);
  document.addEventListener("htmx:afterSwap", scan);
})();
