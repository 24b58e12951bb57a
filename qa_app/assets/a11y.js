() => {
  // Two ARIA slips in Gradio's own markup, mended as the page renders:
  // * the chat's example questions are role="list" but hold buttons, not list items;
  // * the upload area's accessible name ("Click to upload or drop files") differs from
  //   the words it shows, which speech-input users say to click it.
  const fix = () => {
    for (const el of document.querySelectorAll('.examples[role="list"]')) {
      el.setAttribute("role", "group");
      el.setAttribute("aria-label", "Example questions");
    }
    for (const el of document.querySelectorAll(".upload-container[aria-label]")) {
      const shown = el.textContent.replace(/\s+/g, " ").trim();
      if (shown && el.getAttribute("aria-label") !== shown) el.setAttribute("aria-label", shown);
    }
  };
  fix();
  new MutationObserver(fix).observe(document.body, { childList: true, subtree: true });
}
