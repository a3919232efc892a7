"""Optional sign-in to Meine Meldungen through the town's identity broker (OpenID Connect), e.g. a
Keycloak realm that has BundID attached as a SAML identity provider (README: "Citizens' sign-in
with BundID"). Switched on by ``CITIZEN_OIDC_ISSUER``.

The protocol is the staff sign-in's (``app/staff/oidc.py``: discovery, authorization code flow
with PKCE, ``state`` and ``nonce``, the ID token's signature against the JWKS, ``iss``, ``aud``,
``exp``), with its own client. What the broker must vouch for is the e-mail address: an ID token
without ``email`` and ``email_verified: true`` is refused. The address then opens the same
session as a used sign-in link; nothing else from the token is kept.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _

from app.errors import DomainError
from app.staff.oidc import authorization_redirect, verified_claims
from app.validation import normalize_email

CLIENT_NAME = "citizen_oidc"


@dataclass(frozen=True)
class CitizenOidcSettings:
    issuer: str
    client_id: str
    client_secret: str
    scopes: str
    button_label: str


def settings_from(config) -> CitizenOidcSettings | None:
    """The settings, or None when off; ValueError names a setting that cannot work (at start-up)."""
    issuer = (config.get("CITIZEN_OIDC_ISSUER") or "").strip().rstrip("/")
    if not issuer:
        return None
    parts = urlsplit(issuer)
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise ValueError("CITIZEN_OIDC_ISSUER must be an https:// URL (http:// only for a provider on this machine)")
    client_id = (config.get("CITIZEN_OIDC_CLIENT_ID") or "").strip()
    if not client_id:
        raise ValueError("CITIZEN_OIDC_CLIENT_ID is required when CITIZEN_OIDC_ISSUER is set")
    return CitizenOidcSettings(issuer=issuer, client_id=client_id,
                               client_secret=config.get("CITIZEN_OIDC_CLIENT_SECRET") or "",
                               scopes="openid email", button_label=(config.get("CITIZEN_OIDC_BUTTON_LABEL") or "").strip())


def settings() -> CitizenOidcSettings | None:
    ext = current_app.extensions
    if "citizen_oidc_settings" not in ext:
        ext["citizen_oidc_settings"] = settings_from(current_app.config)
    return ext["citizen_oidc_settings"]


def button_label() -> str:
    s = settings()
    return s.button_label if s and s.button_label else _("Mit Servicekonto anmelden")


def redirect_to_provider(redirect_uri: str):
    return authorization_redirect(redirect_uri, settings(), CLIENT_NAME)


def verified_email() -> str:
    """The address the broker vouches for, from the callback request; raises ``DomainError``
    subclasses of the staff sign-in (``SignInRefused``, ``ProviderUnavailable``) or a 403 when
    the token names no verified address."""
    claims = verified_claims(settings(), CLIENT_NAME)
    if claims.get("email_verified") is not True or not claims.get("email"):
        raise DomainError(_("Der Anmeldedienst hat keine bestätigte E-Mail-Adresse übermittelt. Bitte nutzen Sie "
                            "den Anmeldelink per E-Mail."), None, code="oidc_refused", status=403)
    return normalize_email(str(claims["email"])).lower()
