"""The Calendar page as one feature folder: who is on call, week or month, edited by drag and drop.

Where each part lives (Qt-free modules first):

* :mod:`.days` — what the calendar shows: on-call spans with the pending edits applied
  (``PlannedSpan``), cut into days and 24-hour chips; weeks, months, titles.
* :mod:`.plan` — the pending edits over the loaded calendar. Whether an edit is allowed and what
  it does is the core's :func:`whoseonfirst_core.domain.overrides.decide_edits`, asked here.
* :mod:`.proposals` — gestures (a drop, a menu choice) into edits.
* :mod:`.chip_text` — the words: times, detail lines, tooltips.
* :mod:`.store` — reading a week or month and saving the edits (worker thread).
* :mod:`.undo` — each pending edit as one undoable command.
* :mod:`.model`, :mod:`.roles`, :mod:`.palette` — the Qt models (days → chips; the team).
* :mod:`.geometry`, :mod:`.grid_view`, :mod:`.chip_delegate`, :mod:`.day_painter` — the grid: where
  things are, the view with its keyboard and drops, and the drawing.
* :mod:`.reason_popup`, :mod:`.chip_menu`, :mod:`.cover_dialog`, :mod:`.toolbar` — the small
  widgets around it (the cover dialog: "Cover from … until …", any hours).
* :mod:`.print_sheet` (no Qt), :mod:`.printing`, :mod:`.exports` — the week or month on paper
  (File ▸ Print…, Export PDF…) and as CSV (Export schedule as CSV…).
* :mod:`.page` — the page that puts them together.
"""
