// The availability editor's week, enhanced: switching a day on or off shows or hides
// its ranges, and adding, removing and copying ranges happen in place. Without this
// file the same buttons post the page and the server makes the change.
(() => {
  const form = document.querySelector("[data-week-editor]");
  if (!form) return;
  const total = form.querySelector('input[name="windows-TOTAL_FORMS"]');
  const status = form.querySelector("[data-week-status]");
  const days = Array.from(form.querySelectorAll("[data-day]"));

  const switchOf = (day) => day.querySelector(".day-switch");
  const rangesOf = (day) => day.querySelector("[data-ranges]");
  const label = (day) => day.querySelector("legend").textContent.trim();

  function announce(text) {
    if (status) status.textContent = text;
  }

  function show(day) {
    const open = switchOf(day).checked;
    day.classList.toggle("is-closed", !open);
    day.querySelector(".week-day-body").hidden = !open;
  }

  function addRange(day, start = "", end = "") {
    const index = Number(total.value);
    const html = day.querySelector("template[data-range-template]").innerHTML
      .replaceAll("__prefix__", String(index));
    const holder = document.createElement("div");
    holder.innerHTML = html.trim();
    const range = holder.firstElementChild;
    range.querySelector('input[name$="-weekday"]').value = day.dataset.day;
    range.querySelector('input[name$="-start_time"]').value = start;
    range.querySelector('input[name$="-end_time"]').value = end;
    rangesOf(day).appendChild(range);
    total.value = String(index + 1);
    return range;
  }

  function filledRanges(day) {
    return Array.from(rangesOf(day).querySelectorAll("[data-range]"))
      .map((range) => [
        range.querySelector('input[name$="-start_time"]').value.trim(),
        range.querySelector('input[name$="-end_time"]').value.trim(),
      ])
      .filter(([start, end]) => start || end);
  }

  days.forEach((day) => {
    show(day);
    switchOf(day).addEventListener("change", () => {
      show(day);
      if (switchOf(day).checked) {
        if (!rangesOf(day).querySelector("[data-range]")) addRange(day);
        rangesOf(day).querySelector("input:not([type=hidden])").focus();
      }
    });
  });

  form.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-add-range], button[data-remove-range], button[data-copy-day]");
    if (!button) return;
    event.preventDefault();
    const day = button.closest("[data-day]");
    if (button.hasAttribute("data-add-range")) {
      addRange(day).querySelector('input[name$="-start_time"]').focus();
      announce(`${label(day)}: range added.`);
    } else if (button.hasAttribute("data-remove-range")) {
      button.closest("[data-range]").remove();
      day.querySelector("button[data-add-range]").focus();
      announce(`${label(day)}: range removed.`);
    } else {
      const ranges = filledRanges(day);
      const targets = days.filter((other) => other !== day && switchOf(other).checked);
      targets.forEach((other) => {
        rangesOf(other).replaceChildren();
        ranges.forEach(([start, end]) => addRange(other, start, end));
        if (!ranges.length) addRange(other);
      });
      announce(`${label(day)}'s hours copied to ${targets.length} other open days.`);
    }
  });
})();
