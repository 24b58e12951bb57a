() => {
  // Keep each new reply's top in view: its short answer (or "The articles don't say") is
  // what the reader came for. Gradio's own autoscroll is off; it would show the reply's
  // end, its sources, instead.
  const seen = new WeakSet(document.querySelectorAll(".qa-reply"));
  const showNewReply = () => {
    const replies = document.querySelectorAll(".qa-reply");
    const last = replies[replies.length - 1];
    if (!last || seen.has(last)) return;
    for (const reply of replies) seen.add(reply);
    const note = last.previousElementSibling;
    const top = note && note.classList.contains("qa-filter-note") ? note : last;
    requestAnimationFrame(() => top.scrollIntoView({ block: "start", inline: "nearest" }));
  };
  new MutationObserver(showNewReply).observe(document.body, { childList: true, subtree: true });
}
