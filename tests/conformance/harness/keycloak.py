"""Keycloak admin REST API, just what the conformance suite needs.

Endpoints (Keycloak 26, `/admin/realms/...`): realm create/delete, the SAML
`client-description-converter` (SP metadata -> ClientRepresentation), clients, protocol mappers,
users, key-provider components.
"""

from __future__ import annotations

import time
import urllib.parse

import requests

KEY_PROVIDER = "org.keycloak.keys.KeyProvider"


class AdminError(RuntimeError):
    pass


class KeycloakAdmin:
    def __init__(self, base_url: str, username: str = "admin", password: str = "admin"):
        self.base = base_url.rstrip("/")
        self.username = username
        self.password = password
        self.http = requests.Session()
        self._token = None
        self._token_at = 0.0

    # -- plumbing -----------------------------------------------------------------------------

    def _auth(self) -> dict:
        # admin-cli tokens live 60 s in the master realm by default: renew well before that.
        if self._token is None or time.monotonic() - self._token_at > 40:
            r = self.http.post(
                f"{self.base}/realms/master/protocol/openid-connect/token",
                data={
                    "grant_type": "password",
                    "client_id": "admin-cli",
                    "username": self.username,
                    "password": self.password,
                },
                timeout=60,
            )
            if r.status_code != 200:
                raise AdminError(f"admin token: HTTP {r.status_code}: {r.text[:300]}")
            self._token = r.json()["access_token"]
            self._token_at = time.monotonic()
        return {"Authorization": f"Bearer {self._token}"}

    def call(self, method: str, path: str, *, json=None, data=None, headers=None, ok=(200, 201, 204)):
        h = self._auth()
        if headers:
            h.update(headers)
        r = self.http.request(method, f"{self.base}/admin{path}", json=json, data=data, headers=h, timeout=120)
        if r.status_code not in ok:
            raise AdminError(f"{method} {path}: HTTP {r.status_code}: {r.text[:500]}")
        return r

    @staticmethod
    def _q(s: str) -> str:
        return urllib.parse.quote(s, safe="")

    # -- realms -------------------------------------------------------------------------------

    def realm_exists(self, realm: str) -> bool:
        return self.call("GET", f"/realms/{realm}", ok=(200, 404)).status_code == 200

    def recreate_realm(self, representation: dict) -> None:
        """Deletes the realm if it exists, then creates it from the representation.

        Users are created one by one after the realm: a realm POST that embeds them took
        7-12 s on 2 cores (Keycloak 26.7), the realm alone plus the users ~2.5 s."""
        rep = dict(representation)
        users = rep.pop("users", [])
        name = rep["realm"]
        if self.realm_exists(name):
            self.call("DELETE", f"/realms/{name}")
        self.call("POST", "/realms", json=rep)
        for u in users:
            self.call("POST", f"/realms/{name}/users", json=u)

    def realm(self, realm: str) -> dict:
        return self.call("GET", f"/realms/{realm}").json()

    # -- clients ------------------------------------------------------------------------------

    def convert_client_description(self, realm: str, description: str | bytes) -> dict:
        """What Keycloak's admin console "Import client" does with a metadata file."""
        body = description.encode() if isinstance(description, str) else description
        return self.call(
            "POST",
            f"/realms/{realm}/client-description-converter",
            data=body,
            headers={"Content-Type": "application/json"},  # the endpoint sniffs XML itself
        ).json()

    def find_client(self, realm: str, client_id: str) -> dict | None:
        found = self.call("GET", f"/realms/{realm}/clients?clientId={self._q(client_id)}").json()
        return found[0] if found else None

    def create_client(self, realm: str, representation: dict) -> str:
        """Creates (replacing a client with the same clientId); returns the internal id."""
        old = self.find_client(realm, representation["clientId"])
        if old:
            self.call("DELETE", f"/realms/{realm}/clients/{old['id']}")
        r = self.call("POST", f"/realms/{realm}/clients", json=representation)
        return r.headers["Location"].rstrip("/").rsplit("/", 1)[-1]

    def client(self, realm: str, cid: str) -> dict:
        return self.call("GET", f"/realms/{realm}/clients/{cid}").json()

    def update_client(self, realm: str, cid: str, attributes: dict | None = None, **fields) -> dict:
        """Sets client attributes (`saml.*`, ...; None removes one) and top-level fields;
        returns the new client."""
        rep = self.client(realm, cid)
        if attributes:
            rep.setdefault("attributes", {}).update(
                {k: (None if v is None else str(v)) for k, v in attributes.items()})
        rep.update(fields)
        self.call("PUT", f"/realms/{realm}/clients/{cid}", json=rep)
        return self.client(realm, cid)

    def add_protocol_mappers(self, realm: str, cid: str, mappers: list[dict]) -> None:
        self.call("POST", f"/realms/{realm}/clients/{cid}/protocol-mappers/add-models", json=mappers)

    # -- users --------------------------------------------------------------------------------

    def user(self, realm: str, username: str) -> dict:
        found = self.call("GET", f"/realms/{realm}/users?exact=true&username={self._q(username)}").json()
        if not found:
            raise AdminError(f"no user {username} in {realm}")
        return found[0]

    def update_user(self, realm: str, username: str, **fields) -> None:
        u = self.user(realm, username)
        u.update(fields)
        self.call("PUT", f"/realms/{realm}/users/{u['id']}", json=u)

    def user_sessions(self, realm: str, username: str) -> list[dict]:
        """The user's SSO sessions in the realm (empty once logged out)."""
        u = self.user(realm, username)
        return self.call("GET", f"/realms/{realm}/users/{u['id']}/sessions").json()

    def logout_user(self, realm: str, username: str) -> None:
        """An administrator ends the user's sessions ("Sign out" on the user's Sessions tab):
        Keycloak then logs the user out of each client, by back-channel for clients whose
        front-channel logout is off."""
        u = self.user(realm, username)
        self.call("POST", f"/realms/{realm}/users/{u['id']}/logout")

    def logout_all(self, realm: str) -> None:
        """Ends every SSO session of the realm (so the next login shows the password form)."""
        self.call("POST", f"/realms/{realm}/logout-all")

    # -- keys ---------------------------------------------------------------------------------

    def keys(self, realm: str) -> list[dict]:
        return self.call("GET", f"/realms/{realm}/keys").json()["keys"]

    def active_rsa_signing_kid(self, realm: str) -> str:
        ks = [
            k for k in self.keys(realm)
            if k.get("use") == "SIG" and k.get("type") == "RSA" and k.get("status") == "ACTIVE"
            and k.get("algorithm") == "RS256"
        ]
        ks.sort(key=lambda k: -int(k.get("providerPriority", 0)))
        return ks[0]["kid"]

    def add_rsa_signing_key(self, realm: str, name: str, priority: int) -> str:
        """Adds a generated RS256 key provider; with a higher priority than the others its key
        becomes the realm's active signing key. Returns the component id."""
        realm_id = self.realm(realm)["id"]
        r = self.call(
            "POST",
            f"/realms/{realm}/components",
            json={
                "name": name,
                "providerId": "rsa-generated",
                "providerType": KEY_PROVIDER,
                "parentId": realm_id,
                "config": {
                    "priority": [str(priority)],
                    "enabled": ["true"],
                    "active": ["true"],
                    "keySize": ["2048"],
                    "algorithm": ["RS256"],
                },
            },
        )
        return r.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
