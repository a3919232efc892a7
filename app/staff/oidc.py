"""Optional staff sign-in through OpenID Connect (e.g. a city's Keycloak), switched on by settings.

With ``OIDC_ISSUER`` set, the sign-in page offers "Mit Dienstkonto anmelden" next to
the password form. The flow is the authorization code flow with PKCE (S256), ``state``
and ``nonce`` (Authlib keeps them in the signed session cookie); the ID token's
signature is verified against the provider's JWKS and its ``iss``, ``aud``, ``exp``,
``iat`` and ``nonce`` are checked before any claim is believed.

Accounts are found by the token's ``sub`` (``StaffUser.oidc_subject``). On the first
sign-in an unlinked account whose username equals ``preferred_username`` is linked;
otherwise an account is created, but only if the role claim maps to one of our roles.
Role and department follow the claims on every sign-in (the provider is the authority
for people who sign in through it); a person whose claims no longer map to a role is
refused, and so is a deactivated account.

The mapping settings:

* ``OIDC_ROLE_CLAIM`` – the claim holding roles or groups; a dotted path reaches into
  objects (Keycloak realm roles: ``realm_access.roles``). A string or a list of strings.
* ``OIDC_ROLE_MAP`` – ``value=role`` pairs separated by commas, e.g.
  ``mm-admin=admin,mm-leitstelle=dispatcher,mm-sachbearbeitung=staff``. Several matches:
  the strongest role wins (admin, then dispatcher, then staff).
* ``OIDC_DEPARTMENT_CLAIM`` – the claim whose value is a department code (``tiefbau``);
  with a list, the first value that is a department of the town. Required for the
  ``staff`` role, optional for the others.
"""
from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.db import db, utcnow
from app.errors import DomainError
from app.jurisdictions.models import Department
from app.staff import audit
from app.staff.models import ROLES, StaffUser

log = logging.getLogger(__name__)

CLIENT_NAME = "staff_oidc"
# Strongest first: with several mapped claim values the account gets the first of these.
ROLE_ORDER = ("admin", "dispatcher", "staff")
# Only signatures made with the provider's private key: an HMAC-signed token would be
# "verified" with a secret the provider shares with every client.
ASYMMETRIC_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
HTTP_TIMEOUT = 10  # seconds for each request to the provider
_USERNAME_CHARS = re.compile(r"[^a-z0-9._-]+")


class SignInRefused(DomainError):
    """The provider's answer was not accepted, or the person may not use the workspace."""

    status = 403
    code = "oidc_refused"


class ProviderUnavailable(DomainError):
    """The provider could not be reached or answered something unusable."""

    status = 502
    code = "oidc_provider_unavailable"


@dataclass(frozen=True)
class OidcSettings:
    issuer: str
    client_id: str
    client_secret: str
    scopes: str
    role_claim: str
    role_map: dict[str, str]
    department_claim: str
    button_label: str


def parse_role_map(raw: str) -> dict[str, str]:
    """``"a=admin, b=staff"`` → ``{"a": "admin", "b": "staff"}``; ValueError names a bad entry."""
    mapping: dict[str, str] = {}
    for part in (raw or "").split(","):
        part = part.strip()
        if not part:
            continue
        value, sep, role = part.rpartition("=")
        value, role = value.strip(), role.strip()
        if not sep or not value or role not in ROLES:
            raise ValueError(f"OIDC_ROLE_MAP: {part!r} is not 'claim-value=role' with a role of {', '.join(ROLES)}")
        mapping[value] = role
    return mapping


def settings_from(config) -> OidcSettings | None:
    """The OIDC settings of ``config``, or None when OIDC is off. Raises ValueError on a
    setting that cannot work, so a misconfiguration stops the start, not a sign-in."""
    issuer = (config.get("OIDC_ISSUER") or "").strip().rstrip("/")
    if not issuer:
        return None
    parts = urlsplit(issuer)
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise ValueError("OIDC_ISSUER must be an https:// URL (http:// only for a provider on this machine)")
    client_id = (config.get("OIDC_CLIENT_ID") or "").strip()
    if not client_id:
        raise ValueError("OIDC_CLIENT_ID is required when OIDC_ISSUER is set")
    scopes = " ".join((config.get("OIDC_SCOPES") or "openid email profile").split())
    if "openid" not in scopes.split():
        scopes = "openid " + scopes
    role_map = parse_role_map(config.get("OIDC_ROLE_MAP") or "")
    if not role_map:
        raise ValueError("OIDC_ROLE_MAP is required when OIDC_ISSUER is set (e.g. 'mm-admin=admin')")
    return OidcSettings(issuer=issuer, client_id=client_id, client_secret=config.get("OIDC_CLIENT_SECRET") or "",
                        scopes=scopes, role_claim=(config.get("OIDC_ROLE_CLAIM") or "roles").strip(),
                        role_map=role_map,
                        department_claim=(config.get("OIDC_DEPARTMENT_CLAIM") or "").strip(),
                        button_label=(config.get("OIDC_BUTTON_LABEL") or "").strip())


def settings() -> OidcSettings | None:
    """The current app's OIDC settings (parsed once per app), or None when OIDC is off."""
    ext = current_app.extensions
    if "staff_oidc_settings" not in ext:
        ext["staff_oidc_settings"] = settings_from(current_app.config)
    return ext["staff_oidc_settings"]


def enabled() -> bool:
    return settings() is not None


def button_label() -> str:
    s = settings()
    return (s.button_label if s and s.button_label else _("Mit Dienstkonto anmelden"))


def _client(s=None, name: str = CLIENT_NAME):
    """The app's Authlib client, registered on first use from the settings. ``s`` and ``name``:
    another client of the same kind (the citizens' sign-in, app/account/oidc.py), with its own
    issuer, client id, secret and scopes."""
    ext = current_app.extensions
    key = name + "_client"
    if key not in ext:
        from authlib.integrations.flask_client import OAuth

        s = s or settings()
        oauth = OAuth()
        oauth.init_app(current_app._get_current_object())
        ext[key] = oauth.register(
            name, client_id=s.client_id, client_secret=s.client_secret or None,
            server_metadata_url=s.issuer + "/.well-known/openid-configuration",
            client_kwargs={"scope": s.scopes, "code_challenge_method": "S256", "default_timeout": HTTP_TIMEOUT,
                           # A public client (no secret) proves itself by PKCE alone.
                           "token_endpoint_auth_method": "client_secret_basic" if s.client_secret else "none"})
    return ext[key]


def _metadata(client, issuer: str | None = None) -> dict:
    """The provider's discovery document, checked: it must name the configured issuer."""
    import requests

    try:
        metadata = client.load_server_metadata()
    except (requests.RequestException, ValueError) as exc:
        log.warning("OIDC discovery failed: %s", exc)
        raise ProviderUnavailable(_("Der Anmeldedienst ist gerade nicht erreichbar. Bitte melden Sie sich mit "
                                    "Benutzername und Passwort an oder versuchen Sie es später erneut."))
    issuer = issuer or settings().issuer
    if str(metadata.get("issuer", "")).rstrip("/") != issuer \
            or not metadata.get("authorization_endpoint") or not metadata.get("token_endpoint") \
            or not metadata.get("jwks_uri"):
        client.server_metadata.pop("_loaded_at", None)  # fetch again next time
        log.warning("OIDC discovery document does not match the configured issuer %s", issuer)
        raise ProviderUnavailable(_("Der Anmeldedienst ist falsch eingerichtet (Aussteller oder Endpunkte passen "
                                    "nicht). Bitte wenden Sie sich an die Verwaltung."))
    offered = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
    metadata["id_token_signing_alg_values_supported"] = [a for a in offered if a in ASYMMETRIC_ALGORITHMS] or ["RS256"]
    return metadata


def authorization_redirect(redirect_uri: str, s=None, name: str = CLIENT_NAME):
    """The redirect to the provider; state, nonce and PKCE verifier go into the session.
    ``s``/``name``: another client (see ``_client``)."""
    client = _client(s, name)
    # the only request to the provider on the way out; checked before we send anyone there
    _metadata(client, s.issuer if s else None)
    return client.authorize_redirect(redirect_uri)


def _token_problem(exc) -> str:
    """Which check an ID token failed, in words for the page (and the administrator)."""
    from joserfc import errors as jose

    if isinstance(exc, jose.ExpiredTokenError):
        return _("Das Anmelde-Token ist abgelaufen.")
    if isinstance(exc, jose.ClaimError):
        names = {"aud": _("Empfänger (aud)"), "iss": _("Aussteller (iss)"), "nonce": _("Einmalwert (nonce)"),
                 "azp": _("berechtigte Anwendung (azp)")}
        return _("Das Anmelde-Token ist ungültig: die Angabe %(claim)s passt nicht.",
                 claim=names.get(exc.claim, exc.claim))
    if isinstance(exc, (jose.BadSignatureError, jose.InvalidKeyIdError)):
        return _("Die Signatur des Anmelde-Tokens ist ungültig.")
    return _("Das Anmelde-Token konnte nicht gelesen werden.")


def verified_claims(s=None, name: str = CLIENT_NAME) -> dict:
    """Finish the flow of the current callback request: check ``state``, exchange the code
    (with the PKCE verifier), verify the ID token; returns its claims.

    Raises ``SignInRefused`` (400/403) naming what failed, ``ProviderUnavailable`` (502)
    when the provider cannot be reached.
    """
    import requests
    from authlib.integrations.base_client import MismatchingStateError, OAuthError
    from joserfc.errors import JoseError

    s = s or settings()
    client = _client(s, name)
    metadata = _metadata(client, s.issuer)
    options = {"iss": {"essential": True, "value": metadata["issuer"]},
               "aud": {"essential": True, "value": s.client_id},
               "sub": {"essential": True}}
    try:
        token = client.authorize_access_token(claims_options=options)
    except MismatchingStateError:
        raise SignInRefused(_("Die Rückmeldung des Anmeldedienstes gehört zu keiner hier begonnenen Anmeldung "
                              "(Parameter „state“ fehlt oder passt nicht). Bitte starten Sie die Anmeldung erneut."),
                            status=400)
    except OAuthError as exc:
        error = str(getattr(exc, "error", "") or "")[:80]
        log.info("OIDC provider refused the sign-in: %s", error)
        status = 403 if error == "access_denied" else 400
        raise SignInRefused(_("Der Anmeldedienst hat die Anmeldung nicht bestätigt (%(error)s).", error=error),
                            status=status)
    except JoseError as exc:
        log.warning("OIDC ID token refused: %s", exc)
        raise SignInRefused(_token_problem(exc), status=401)
    except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
        log.warning("OIDC token exchange failed: %r", exc)
        raise ProviderUnavailable(_("Der Anmeldedienst hat nicht verwertbar geantwortet. Bitte versuchen Sie es "
                                    "später erneut."))
    claims = token.get("userinfo")
    if not claims:  # a token response without an ID token proves nobody's identity
        raise SignInRefused(_("Der Anmeldedienst hat kein ID-Token geschickt."), status=401)
    return dict(claims)


# --- accounts -------------------------------------------------------------------

def _claim(claims: dict, path: str):
    value = claims
    for key in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _claim_values(claims: dict, path: str) -> list[str]:
    value = _claim(claims, path) if path else None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def mapped_role(claims: dict, s: OidcSettings) -> str | None:
    roles = {s.role_map[v] for v in _claim_values(claims, s.role_claim) if v in s.role_map}
    return next((role for role in ROLE_ORDER if role in roles), None)


def _department(claims: dict, s: OidcSettings, jurisdiction_id: int) -> Department | None:
    codes = [v.strip().lower() for v in _claim_values(claims, s.department_claim) if v.strip()]
    if not codes:
        return None
    found = {d.code: d for d in db.session.scalars(select(Department).where(
        Department.jurisdiction_id == jurisdiction_id, Department.code.in_(codes)))}
    return next((found[c] for c in codes if c in found), None)


def _refuse(reason: str, message: str, *, user: StaffUser | None, jurisdiction_id: int, subject: str,
            status: int = 403) -> SignInRefused:
    """Record the refusal in the audit log (flushes) and return the error to raise."""
    audit.record("login_oidc_refused", staff=user, jurisdiction_id=jurisdiction_id,
                 target=f"oidc:{subject}", changes={"reason": reason})
    return SignInRefused(message, status=status)


def _verified_email(claims: dict) -> str | None:
    """The ``email`` claim if it is one valid address, else None (it is only a contact)."""
    from app.validation import is_email, normalize_email

    raw = str(claims.get("email") or "")
    return normalize_email(raw) if raw and is_email(raw) else None


def _new_username(claims: dict, subject: str) -> str:
    wanted = str(claims.get("preferred_username") or str(claims.get("email") or "").split("@")[0] or "")
    base = _USERNAME_CHARS.sub("-", wanted.strip().lower()).strip("-.")[:80] or "oidc"
    suffix = hashlib.sha256(subject.encode()).hexdigest()[:8]
    for candidate in (base, f"{base}-{suffix}"):
        if db.session.scalar(select(StaffUser.id).where(func.lower(StaffUser.username) == candidate)) is None:
            return candidate
    return f"oidc-{hashlib.sha256(subject.encode()).hexdigest()[:24]}"


def account_for(claims: dict) -> StaffUser:
    """The staff account for verified ``claims``: found by subject only, else created; role
    and department refreshed from the claims (flushes, audits).

    Never linked by a claim the person may be able to change at the provider
    (``preferred_username``, ``email``): an existing password account with that name is
    linked only by an admin (accounts page), else ``admin`` could be taken over. Raises
    ``SignInRefused`` (403) naming the reason when the person may not sign in."""
    from app.jurisdictions.queries import jurisdiction_by_slug

    s = settings()
    subject = str(claims["sub"])[:255]
    user = db.session.scalar(select(StaffUser).where(StaffUser.oidc_subject == subject))
    town = jurisdiction_by_slug(None)  # the town of the host the sign-in happens on
    jurisdiction_id = user.jurisdiction_id if user is not None and user.jurisdiction_id else town.id
    shown = str(claims.get("preferred_username") or subject)[:150]
    # Several towns (issue 21): an account works in its own town only, and with OIDC_TOWN_CLAIM the
    # provider must name this town for the person.
    town_claim = current_app.config.get("OIDC_TOWN_CLAIM", "")
    named = claims.get(town_claim) if town_claim else None
    named = [named] if isinstance(named, str) else list(named or [])
    if (user is not None and user.role != "operator" and user.jurisdiction_id != town.id) \
            or (town_claim and town.slug not in named):
        audit.record("login_oidc_refused", staff=None, jurisdiction_id=town.id, target=f"subject:{subject[:60]}",
                     changes={"reason": "other_town"})
        raise SignInRefused(_("Ihr Dienstkonto ist für %(town)s nicht freigeschaltet. Bitte melden Sie sich über "
                              "die Adresse Ihrer Stadt an.", town=town.name), status=403)
    if user is None:
        username = str(claims.get("preferred_username") or "").strip().lower()
        namesake = db.session.scalar(select(StaffUser).where(func.lower(StaffUser.username) == username,
                                                             StaffUser.oidc_subject.is_(None))) if username else None
        if namesake is not None:
            audit.record("login_oidc_refused", staff=None, jurisdiction_id=jurisdiction_id,
                         target=f"user:{namesake.username}", changes={"reason": "link_required", "subject": subject})
            raise SignInRefused(_("Es gibt bereits ein Konto „%(name)s“. Damit Sie es mit Ihrem Dienstkonto nutzen "
                                  "können, muss eine Administratorin oder ein Administrator es erst verknüpfen "
                                  "(Verwaltung → Konten).", name=namesake.username), status=403)

    if user is not None and not user.active:
        raise _refuse("inactive", _("Das Konto „%(name)s“ ist gesperrt. Bitte wenden Sie sich an die Verwaltung.",
                                    name=user.username),
                      user=user, jurisdiction_id=jurisdiction_id, subject=shown)
    role = mapped_role(claims, s)
    if role is None:
        raise _refuse("no_role", _("Ihr Dienstkonto hat keine Rolle für den Mängelmelder: die Angabe „%(claim)s“ "
                                   "enthält keinen der eingerichteten Werte. Bitte lassen Sie sich von der "
                                   "Verwaltung eine Rolle zuweisen.", claim=s.role_claim),
                      user=user, jurisdiction_id=jurisdiction_id, subject=shown)
    department = _department(claims, s, jurisdiction_id)
    if role == "staff" and department is None:
        raise _refuse("no_department", _("Ihr Dienstkonto nennt keine Abteilung dieser Stadt (Angabe „%(claim)s“). "
                                         "Mitarbeitende einer Abteilung brauchen eine Abteilung.",
                                         claim=s.department_claim or "–"),
                      user=user, jurisdiction_id=jurisdiction_id, subject=shown)

    now = utcnow()
    if user is None:
        user = StaffUser(jurisdiction_id=jurisdiction_id, username=_new_username(claims, subject), role=role,
                         department_id=department.id if department else None, oidc_subject=subject,
                         display_name=str(claims.get("name") or "")[:200],
                         email=_verified_email(claims),
                         password_hash=None, last_login_at=now)
        db.session.add(user)
        db.session.flush()
        audit.record("user_create", staff=user, target=f"user:{user.username}",
                     changes={"role": role, "department": department.code if department else None,
                              "source": "oidc"})
    else:
        changes: dict = {}
        new_department_id = department.id if department else None
        for field, new in (("role", role), ("department_id", new_department_id)):
            if getattr(user, field) != new:
                changes[field] = [getattr(user, field), new]
                setattr(user, field, new)
        user.last_login_at = now
        db.session.flush()
        if changes:
            changes["source"] = "oidc"
            audit.record("user_update", staff=user, target=f"user:{user.username}", changes=changes)
    audit.record("login_oidc", staff=user)
    return user
