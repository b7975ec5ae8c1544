"""Credentials for a real deployment: a given token, or one from IMS by the client-credentials flow."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

__all__ = ["DEFAULT_IMS_URL", "AuthError", "Credentials", "ims_token"]

DEFAULT_IMS_URL = "https://ims-na1.adobelogin.com/ims/token/v3"
DEFAULT_SCOPES = "openid,AdobeID,read_organizations,additional_info.projectedProductContext,session"


class AuthError(Exception):
    """No token could be had; the message says why (never the secret)."""


@dataclass(frozen=True)
class Credentials:
    token: str
    api_key: str
    org: str
    sandbox: str

    def headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token}",
            "x-api-key": self.api_key,
            "x-gw-ims-org-id": self.org,
            "x-sandbox-name": self.sandbox,
        }


def ims_token(
    ims_url: str, client_id: str, client_secret: str, scopes: str = DEFAULT_SCOPES, *, timeout: float = 30.0
) -> str:
    """An access token from the IMS client-credentials grant (Adobe's OAuth server-to-server flow)."""
    form = {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": client_secret,
        "scope": scopes,
    }
    try:
        response = httpx.post(ims_url, data=form, timeout=timeout)
    except httpx.HTTPError as exc:
        raise AuthError(f"IMS at {ims_url} could not be reached: {exc}") from None
    if response.status_code != 200:
        raise AuthError(
            f"IMS at {ims_url} refused the client credentials: {response.status_code} {response.text[:300]}"
        )
    try:
        token = response.json()["access_token"]
    except (ValueError, KeyError, TypeError):
        raise AuthError(f"IMS at {ims_url} answered without an access_token") from None
    return str(token)
