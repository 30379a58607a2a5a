"""The provider's web screens (§9): login level 2, consent, error. Vietnamese, mobile viewport.

Every value that comes from a request is escaped. The stable automation ids of §9 are
``data-testid`` attributes; the form fields also carry plain ``name``s for form scrapers.
"""

from __future__ import annotations

from html import escape

from starlette.responses import HTMLResponse

from harness.protocol import ProtocolError
from mock_providers._refusals import CREDENTIALS_CHALLENGE

__all__ = ["LOGIN_TITLE", "consent_page", "error_page", "login_page"]

LOGIN_TITLE = "Đăng nhập tài khoản định danh điện tử mức 2"
_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
_CSS = (
    "body{font-family:system-ui,sans-serif;margin:0;background:#f4f6f8;color:#1b1b1b}"
    "main{max-width:420px;margin:0 auto;padding:24px 16px}"
    "h1{font-size:1.25rem;color:#b71c1c}label{display:block;margin:12px 0 4px}"
    "input{width:100%;box-sizing:border-box;padding:10px;font-size:1rem}"
    "button{width:100%;padding:12px;margin-top:16px;font-size:1rem;border:0;border-radius:6px;"
    "background:#b71c1c;color:#fff}button.secondary{background:#e0e0e0;color:#1b1b1b}"
    ".error{color:#b71c1c;background:#fdecea;padding:8px;border-radius:4px}"
)


def _page(title: str, testid: str, body: str, status: int = 200) -> HTMLResponse:
    html = (
        '<!doctype html>\n<html lang="vi"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head>"
        f'<body><main data-testid="{testid}">{body}</main></body></html>\n'
    )
    headers = {**_HEADERS, "WWW-Authenticate": CREDENTIALS_CHALLENGE} if status == 401 else _HEADERS
    return HTMLResponse(html, status_code=status, headers=headers)


def _hidden(request_id: str) -> str:
    return f'<input type="hidden" name="request_id" value="{escape(request_id)}">'


def _error_line(error: ProtocolError) -> str:
    # a malformed entry says what is wrong (e.g. the 12 digits of §1); a wrong passcode or an
    # unknown person stay one message, on purpose
    detail = (
        f' <small data-testid="vneid-login-error-detail">{escape(error.description)}</small>'
        if error.code == "invalid_request"
        else ""
    )
    return (
        f'<p class="error" role="alert" data-testid="vneid-login-error" '
        f'data-error="{escape(error.code)}">{escape(error.message_vi)} '
        f"({escape(error.code)}){detail}</p>"
    )


def login_page(
    *,
    action: str,
    request_id: str,
    personal_id: str = "",
    error: ProtocolError | None = None,
    status: int = 200,
) -> HTMLResponse:
    """§9 "login level 2": fields ``vneid-personal-id``, ``vneid-passcode``."""
    body = (
        f"<h1>{escape(LOGIN_TITLE)}</h1>"
        + (_error_line(error) if error is not None else "")
        + f'<form method="post" action="{escape(action)}">{_hidden(request_id)}'
        '<label for="personal_id">Số định danh cá nhân</label>'
        '<input id="personal_id" name="personal_id" data-testid="vneid-personal-id" '
        f'inputmode="numeric" autocomplete="username" value="{escape(personal_id)}">'
        '<label for="passcode">Mật khẩu (passcode)</label>'
        '<input id="passcode" name="passcode" type="password" data-testid="vneid-passcode" '
        'inputmode="numeric" autocomplete="current-password">'
        '<button type="submit" data-testid="vneid-login-submit">Đăng nhập</button></form>'
    )
    return _page(LOGIN_TITLE, "vneid-login", body, status)


def consent_page(*, action: str, request_id: str, client_name: str, full_name: str) -> HTMLResponse:
    """§9 "consent": the requesting service and buttons ``vneid-approve``, ``vneid-deny``."""
    title = "Xác nhận chia sẻ thông tin"
    body = (
        f"<h1>{title}</h1>"
        f'<p>Dịch vụ <strong data-testid="vneid-consent-client">{escape(client_name)}</strong> '
        f"yêu cầu sử dụng thông tin định danh điện tử của <strong>{escape(full_name)}</strong>:"
        " số định danh cá nhân, họ và tên, ngày sinh, giới tính.</p>"
        f'<form method="post" action="{escape(action)}">{_hidden(request_id)}'
        '<button type="submit" name="decision" value="approve" data-testid="vneid-approve">'
        "Đồng ý</button>"
        '<button type="submit" name="decision" value="deny" class="secondary" '
        'data-testid="vneid-deny">Từ chối</button></form>'
    )
    return _page(title, "vneid-consent", body)


def error_page(error: ProtocolError) -> HTMLResponse:
    """§9 "error": the §8 message and the ``error`` code (never a redirect, S-3)."""
    body = (
        f"<h1>{escape(error.message_vi)}</h1>"
        f'<p>Mã lỗi: <code data-testid="app-error-code">{escape(error.code)}</code> '
        f"({escape(error.clause)})</p><p>{escape(error.description)}</p>"
    )
    return _page(error.message_vi, "app-error", body, error.status)
