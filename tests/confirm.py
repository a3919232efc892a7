"""Confirmation links in mails as a person uses them: the link (a GET) shows a question and
changes nothing, the button on it (a POST with the page's CSRF token) confirms."""
from __future__ import annotations

import re


def press_confirm(client, path: str):
    """Open the confirmation page at ``path`` and press its button; returns the POST's response
    (a 303 to the result page)."""
    page = client.get(path)
    assert page.status_code == 200, f"{path}: {page.status_code}"
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert token, f"no confirmation button on {path}"
    return client.post(path, data={"csrf_token": token.group(1)})
