"""The HTML report: the whole catalogue on one self-contained page, every log value escaped.

A userAgent is whatever the caller sent (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html),
so a hostile one must render as text. The browser test opens the page in headless Chromium and
checks that the injected script did not change the document.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from awslab import trail
from awslab.trail import catalogue

CHROMIUM = Path("/usr/bin/chromium")
PAYLOAD = ("<script>document.title='pwned';document.body.insertAdjacentHTML('beforeend',"
           "'<p id=\"pwned\">pwned</p>')</script>")


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    record = {"eventVersion": "1.08", "eventTime": "2026-01-01T00:00:00Z", "eventSource": "cloudtrail.amazonaws.com",
              "eventName": "StopLogging", "awsRegion": "us-east-1", "sourceIPAddress": "<img src=x onerror=alert(1)>",
              "userAgent": PAYLOAD, "eventID": "1", "eventType": "AwsApiCall", "readOnly": False,
              "recipientAccountId": "111122223333", "requestParameters": {"name": "</td></tr></table><script>x()</script>"},
              "userIdentity": {"type": "IAMUser", "userName": "<b>eve</b>", "accountId": "111122223333",
                               "arn": "arn:aws:iam::111122223333:user/eve"}}
    (folder / "hostile.json").write_text(json.dumps({"Records": [record]}))
    events = trail.load(folder / "hostile.json")
    out = events.report(folder / "report.html", title="<i>report</i>")
    return out, out.read_text(encoding="utf-8")


def test_values_from_the_logs_are_escaped(hostile_report):
    _, page = hostile_report
    assert "<script" not in page.lower()  # the page has no script of its own, and none got in
    assert "&lt;script&gt;document.title=&#x27;pwned&#x27;" in page
    assert "&lt;b&gt;eve&lt;/b&gt;" in page and "<b>eve" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<title>&lt;i&gt;report&lt;/i&gt;</title>" in page


def test_page_is_self_contained(hostile_report):
    _, page = hostile_report
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install chromium)")
def test_no_script_runs_in_a_browser(hostile_report, tmp_path):
    path, _ = hostile_report
    dom = subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", f"--user-data-dir={tmp_path}", "--dump-dom", path.as_uri()],
        capture_output=True, text=True, timeout=120, check=True).stdout
    assert "<title>&lt;i&gt;report&lt;/i&gt;</title>" in dom  # the injected script would have set it
    assert '<p id="pwned">' not in dom  # no element was added; the payload is only text
    assert "document.title='pwned'" in dom.replace("&#x27;", "'").replace("&apos;", "'")  # shown as text


def test_report_answers_every_question_and_plots(generated_events, tmp_path):
    page = generated_events.report(tmp_path / "report.html").read_text(encoding="utf-8")
    for name in catalogue():
        assert f'id="{name}"' in page
    assert page.count("data:image/png;base64,") == 4  # activity, errors, identities, regions
    assert "Needs ip" in page  # questions that need a value say how to ask them
    assert "AuthorizeSecurityGroupIngress" in page and "mallory" in page
