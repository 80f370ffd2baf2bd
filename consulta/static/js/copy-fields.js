// Select the whole link when a copy field gets focus, so Ctrl+C copies it.
for (const field of document.querySelectorAll("input[data-copy]")) {
  field.addEventListener("focus", () => field.select());
}
