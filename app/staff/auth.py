"""Staff sign-in: accounts with Argon2 hashes, session cookie, roles, throttling, password reset,
and optionally OpenID Connect (``app/staff/oidc.py``, switched on by ``OIDC_ISSUER``).

The interface other features use:

* ``current_staff()`` – the signed-in ``StaffUser`` or None;
* ``@role_required("admin", "dispatcher", "staff")`` – a view for these roles only
  (not signed in: redirect to the sign-in page; wrong role: 403).
"""
from __future__ import annotations

import functools
import hashlib
import secrets
import time

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import (Blueprint, abort, current_app, g, redirect, render_template, request, session, url_for)
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from app.db import db, utcnow
from app.extensions import limiter
from app.outbox.operations import record_message
from app.outbox.recipients import may_mail, recently_mailed
from app.staff import audit, oidc, sessions, throttle
from app.staff.forms import ForgotPasswordForm, NewPasswordForm, SignInForm
from app.staff.models import OPERATOR, ROLES, StaffUser

bp = Blueprint("staff_auth", __name__, url_prefix="/intern")


@bp.record_once
def _check_oidc_settings(state) -> None:
    # A broken OIDC configuration stops the start with a message naming the setting,
    # instead of failing on the first person who presses the button.
    oidc.settings_from(state.app.config)


RESET_MAX_AGE = 3600  # seconds a password-reset link stays valid
MIN_PASSWORD_LENGTH = 10
_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the username is unknown, so both cases take the same time. Made on
    first use, not at import: an Argon2 hash costs a good part of a second, and every `flask`
    command (and worker start) imports this module without signing anyone in."""
    return _hasher.hash(secrets.token_hex(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(user: StaffUser, password: str) -> bool:
    """True if ``password`` is the user's; rehashes when Argon2 parameters changed."""
    if not user.password_hash:
        return False
    try:
        _hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return True


def set_password(user: StaffUser, password: str) -> None:
    from app.errors import DomainError

    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(_("Das Passwort muss mindestens %(n)s Zeichen lang sein.", n=MIN_PASSWORD_LENGTH),
                          "password")
    user.password_hash = hash_password(password)
    if user.id is not None:
        sessions.end_all(user)  # a new password ends every session, also one opened with a stolen cookie


def _fingerprint(user: StaffUser) -> str:
    """Changes whenever the password changes: older reset links stop working."""
    return hashlib.sha256(f"{user.id}:{user.password_hash or user.oidc_subject}".encode()).hexdigest()[:16]


# --- the interface ------------------------------------------------------------

def current_staff() -> StaffUser | None:
    """The signed-in, active staff account of this request, or None.

    A session counts only on the town's host it was made on (issue 21): the account must belong
    to the request's town (the operator belongs to none) and the session must have been started
    there, so a cookie carried from town A's host to town B's opens nothing."""
    if "staff_user" in g:
        return g.staff_user
    user = None
    candidate = sessions.current_user()
    if candidate is not None and candidate.active and belongs_here(candidate) \
            and sessions.started_in_town() == _request_town_id():
        user = candidate
    g.staff_user = user
    return user


def _request_town_id() -> int | None:
    from app.jurisdictions.queries import current_jurisdiction

    return current_jurisdiction().id


def belongs_here(user: StaffUser) -> bool:
    """May ``user`` work on this request's host: an account of its town, or the operator."""
    return user.role == OPERATOR or user.jurisdiction_id == _request_town_id()


def role_required(*roles: str):
    """Restrict a view to signed-in staff with one of ``roles`` (default: any role)."""
    allowed = set(roles or ROLES)
    unknown = allowed - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            user = current_staff()
            if user is None:
                return redirect(url_for("staff_auth.login", next=_safe_next(request.full_path)))
            if user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorate


def sign_in(user: StaffUser) -> None:
    """Start a session for ``user`` in this browser (flushes; the caller commits)."""
    session.clear()  # no session fixation: a fresh session (and CSRF token) for the signed-in person
    g.pop("csrf_token", None)
    sessions.start(user)
    session.permanent = False
    g.staff_user = user


def _safe_next(target: str | None) -> str | None:
    """Only local paths inside the staff area; never an open redirect."""
    if not target:
        return None
    target = target.rstrip("?")
    if target.startswith("/intern") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def login_rate_limit() -> str:
    return current_app.config.get("STAFF_LOGIN_RATE_LIMIT", "20/minute;200/hour")


def find_user(username: str) -> StaffUser | None:
    username = username.strip().lower()
    if not username or len(username) > 100:
        return None
    return db.session.scalar(select(StaffUser).where(func.lower(StaffUser.username) == username))


def _dummy_check(password: str) -> None:
    """As long as a real check: unknown names and throttled attempts must not answer faster."""
    try:
        _hasher.verify(_dummy_hash(), password or "-")
    except VerificationError:
        pass


def authenticate(username: str, password: str, client: str | None = None) -> tuple[StaffUser | None, str | None]:
    """Check a sign-in from ``client`` (an address); returns (user, None) or (None, message).

    Unknown or deactivated names, wrong passwords and throttled attempts get the same message
    after one Argon2 verification each, so neither the answer nor its timing tells them apart.
    Updates the throttle state and the audit log (flushes)."""
    client = throttle.client_key(client)
    user = find_user(username)
    generic = _("Die Anmeldung hat nicht geklappt. Bitte prüfen Sie Benutzername und Passwort; nach mehreren "
                "Fehlversuchen von diesem Gerät warten Sie bitte einen Moment.")
    if throttle.is_throttled(username, client):
        _dummy_check(password)
        return None, generic
    if user is None or not user.active or not belongs_here(user):
        # An account of another town is "unknown" here: the same answer, the same time.
        _dummy_check(password)
        ok = False
    else:
        ok = check_password(user, password)
    if not ok:
        if user is not None and belongs_here(user):
            audit.record("login_failed", staff=user)
        for started in throttle.record_failure(username, client):
            # Admins see throttling in the audit log; the typed name of an unknown account is not
            # kept (people type passwords into the name field).
            audit.record("login_throttled", staff=user,
                         jurisdiction_id=_request_town_id() if user is None or user.role == OPERATOR else None,
                         target=f"user:{user.username}" if user is not None else "", changes=started)
        return None, generic
    throttle.record_success(username, client)
    user.last_login_at = utcnow()
    audit.record("login", staff=user)
    return user, None


# --- views --------------------------------------------------------------------

def _login_page(next_url: str | None, error: str | None = None, username: str = "") -> str:
    return render_template("staff/login.html", next=next_url, error=error, username=username,
                           oidc_label=oidc.button_label() if oidc.enabled() else None)


@bp.get("/anmelden")
def login():
    # Shown to signed-in staff too: signing in again switches the account.
    return _login_page(_safe_next(request.args.get("next")))


@bp.post("/anmelden")
@limiter.limit(login_rate_limit, key_func=lambda: f"staff-login:{request.remote_addr}")
def login_post():
    form = SignInForm(request.form)
    username = form.username.data
    next_url = _safe_next(form.next.data)
    user, error = authenticate(username, form.password.data, request.remote_addr)
    if user is None:
        db.session.commit()  # the throttle state counts even when the sign-in failed
        return _login_page(next_url, error, username), 401
    sign_in(user)
    db.session.commit()
    return redirect(next_url or start_page(user), 303)


def start_page(user: StaffUser) -> str:
    """Where a signed-in account starts: the queue, or the operator's town overview."""
    return url_for("operator.towns") if user.role == OPERATOR else url_for("staff.queue")


# --- OpenID Connect (optional) -------------------------------------------------

def oidc_redirect_uri() -> str:
    """The callback address registered at the provider: BASE_URL's scheme on the town's own host
    name (from the town table, never from the Host header): one per town at the provider."""
    from app.urls import base_url

    return base_url() + url_for("staff_auth.oidc_callback")


@bp.get("/anmelden/dienstkonto")
def oidc_start():
    """Send the browser to the provider (a link, not a form: CSP form-action allows only this host)."""
    if not oidc.enabled():
        abort(404)
    try:
        response = oidc.authorization_redirect(oidc_redirect_uri())
    except oidc.ProviderUnavailable as exc:
        return _oidc_problem(exc, forget_session=False)
    session["oidc_next"] = _safe_next(request.args.get("next"))
    return response


@bp.get("/anmelden/dienstkonto/zurueck")
@limiter.limit(login_rate_limit, key_func=lambda: f"staff-oidc:{request.remote_addr}")
def oidc_callback():
    """The provider sends the browser back here with ``code`` and ``state``."""
    if not oidc.enabled():
        abort(404)
    next_url = _safe_next(session.pop("oidc_next", None))
    try:
        user = oidc.account_for(oidc.verified_claims())
    except (oidc.SignInRefused, oidc.ProviderUnavailable) as exc:
        db.session.commit()  # the audit entry of a refusal stays
        return _oidc_problem(exc)
    sign_in(user)
    db.session.commit()
    return redirect(next_url or url_for("staff.queue"), 303)


def _oidc_problem(exc, forget_session: bool = True):
    if forget_session:
        # A failed return from the provider leaves nobody signed in: not the person of an
        # earlier session in this browser, nor anything half done (state, PKCE verifier).
        session.clear()
        g.pop("csrf_token", None)
        g.pop("staff_user", None)
    return render_template("staff/oidc_refused.html", message=str(exc.message), status=exc.status), exc.status


@bp.post("/abmelden")
def logout():
    user = current_staff()
    if user is not None:
        audit.record("logout", staff=user)
    sessions.end_current()
    db.session.commit()
    session.clear()
    g.pop("csrf_token", None)
    g.pop("staff_user", None)
    return redirect(url_for("staff_auth.login"), 303)


@bp.post("/ueberall-abmelden")
def logout_everywhere():
    """End every session of the signed-in account (other browsers, a lost phone, a copied cookie)."""
    user = current_staff()
    if user is None:
        return redirect(url_for("staff_auth.login"), 303)
    ended = sessions.end_all(user)
    audit.record("logout_everywhere", staff=user, changes={"sessions": ended})
    db.session.commit()
    session.clear()
    g.pop("csrf_token", None)
    g.pop("staff_user", None)
    return redirect(url_for("staff_auth.login"), 303)


# --- password reset by mail ----------------------------------------------------

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="staff-password-reset")


def password_reset_token(user: StaffUser) -> str:
    return _serializer().dumps({"id": user.id, "fp": _fingerprint(user)})


def read_password_reset_token(token: str) -> StaffUser | None:
    try:
        data = _serializer().loads(token, max_age=RESET_MAX_AGE)
    except (BadSignature, SignatureExpired):
        return None
    user = db.session.get(StaffUser, data.get("id")) if isinstance(data, dict) else None
    if user is None or not user.active or data.get("fp") != _fingerprint(user) or not belongs_here(user):
        return None
    return user


def request_password_reset(username_or_email: str) -> None:
    """Queue a reset mail if the account exists and has an address (flushes); silent otherwise."""
    value = username_or_email.strip().lower()[:320]
    if not value:
        return
    user = db.session.scalar(select(StaffUser).where(
        (func.lower(StaffUser.username) == value) | (func.lower(StaffUser.email) == value)).limit(1))
    if user is None or not user.active or not user.email or not belongs_here(user):
        return
    if not user.password_hash:
        return  # accounts of OpenID Connect sign-in have no password here; the provider resets theirs
    # At most one mail per account and hour, however often the form is sent.
    window = int(time.time() // 600)
    if recently_mailed("staff_password_reset", f"staff_password_reset:{user.id}") or not may_mail(user.email):
        return  # a link sent within the hour is still good; the recipient's daily cap counts too
    record_message("staff_password_reset", f"staff_password_reset:{user.id}:{window}", {"staff_user_id": user.id},
                   jurisdiction_id=user.jurisdiction_id)
    audit.record("password_reset_requested", staff=user)


def invite(user: StaffUser) -> None:
    """Mail a new account (no password yet) the link to set one, on its town's host (flushes)."""
    record_message("staff_password_reset", f"staff_invite:{user.id}", {"staff_user_id": user.id},
                   jurisdiction_id=user.jurisdiction_id)


@bp.get("/passwort-vergessen")
def forgot_password():
    return render_template("staff/forgot_password.html", sent=False)


@bp.post("/passwort-vergessen")
@limiter.limit("5/minute;30/hour", key_func=lambda: f"staff-reset:{request.remote_addr}")
def forgot_password_post():
    request_password_reset(ForgotPasswordForm(request.form).username.data)
    db.session.commit()
    # The same answer whether or not the account exists (no account enumeration).
    return render_template("staff/forgot_password.html", sent=True)


@bp.route("/passwort-neu/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    from app.errors import DomainError

    user = read_password_reset_token(token)
    if user is None:
        return render_template("staff/reset_password.html", invalid=True, error=None), 404
    if request.method == "GET":
        return render_template("staff/reset_password.html", invalid=False, error=None)
    form = NewPasswordForm(request.form)
    if not form.validate():
        return render_template("staff/reset_password.html", invalid=False,
                               error=str(form.password_repeat.errors[0])), 400
    try:
        set_password(user, form.password.data)
    except DomainError as exc:
        return render_template("staff/reset_password.html", invalid=False, error=str(exc.message)), 400
    audit.record("password_reset", staff=user)
    sign_in(user)
    db.session.commit()
    return redirect(start_page(user), 303)
