/* Rare Earth Rivalry: show the "scroll sideways" line above a table box only when its table is
   wider than the screen (the shadow at the edge shows it too; without JavaScript the box scrolls). */
(function () {
  "use strict";
  function adopt() {  // tables the theme wraps (Markdown and extension tables) get the same box and line
    document.querySelectorAll(".pst-scrollable-table-container:not(.rr-scroll)").forEach(function (box) {
      box.classList.add("rr-scroll");
      var hint = document.createElement("p");
      hint.className = "rr-scroll-hint";
      hint.setAttribute("aria-hidden", "true");
      hint.textContent = "Scroll sideways for more columns \u2192";
      box.parentNode.insertBefore(hint, box);
    });
  }
  function mark() {
    adopt();
    document.querySelectorAll(".rr-scroll").forEach(function (box) {
      var over = box.scrollWidth > box.clientWidth + 1;
      box.classList.toggle("rr-overflowing", over);
      var hint = box.previousElementSibling;
      if (hint && hint.classList.contains("rr-scroll-hint")) { hint.classList.toggle("rr-overflowing", over); }
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", mark); } else { mark(); }
  window.addEventListener("load", mark);
  window.addEventListener("resize", mark);
})();
