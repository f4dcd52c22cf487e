"""Outgoing reply and refusal notice: three templates each, HTML escaped."""

from __future__ import annotations

from consultant.drafting.reply import render_notice_refused, render_reply


def test_reply_text_is_the_approved_text_with_footer():
    body = "Hello Jane,\n\nYes: 99214-25 with 20610.\nSee NCCI.\n\nKind regards"
    subject, text, html = render_reply(body, "Re: knee [Case #5]", 5)
    assert subject == "Re: knee [Case #5]"
    assert text.startswith(body)
    assert "\n-- \n" in text and "[Case #5]" in text.split("-- ")[1]
    assert "<p" in html and "Yes: 99214-25 with 20610.<br>" in html


def test_reply_html_escapes_everything():
    body = "<script>alert(1)</script>\n\nA & B <b>bold</b>"
    _, text, html = render_reply(body, "x <y>", 9)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>bold</b>" not in html and "A &amp; B" in html
    assert "<title>Re: x &lt;y&gt; [Case #9]</title>" in html
    assert "<script>alert(1)</script>" in text  # the text part is text


def test_reply_subject_from_original_subject():
    assert render_reply("x", "Question about J1030", 3)[0] == "Re: Question about J1030 [Case #3]"


def test_notice_refused_not_allowed_and_quota():
    s, text, html = render_notice_refused("Fwd: my question", consult_address="consult@example.test")
    assert s == "Re: my question"
    assert "registered senders" in text and "consult@example.test" in html
    s, text, html = render_notice_refused("q", "over_quota", consult_address="c@x.test", daily_quota=50)
    assert "50 questions" in text and "50 questions" in html
