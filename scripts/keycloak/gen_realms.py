#!/usr/bin/env python3
"""Generates the Keycloak realm-import files testdata/keycloak/{acme,globex}-realm.json.

The JSON files are committed; this script is their source of truth. Edit here, run
`python3 scripts/keycloak/gen_realms.py`, restart Keycloak, re-capture if the SAML output changes.

Realm import does NOT apply the admin console's SAML client defaults (an absent `saml.*` attribute
is false), so every client below spells out every `saml.*` attribute.
"""

import json
import pathlib
import uuid

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "testdata" / "keycloak"
KEYS = ROOT / "testdata" / "keys"

SP = "http://127.0.0.1:8080"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"


def pem_body(path: pathlib.Path) -> str:
    """One-line base64 DER: the PEM body without BEGIN/END lines (what Keycloak expects)."""
    lines = path.read_text().strip().splitlines()
    return "".join(line for line in lines if not line.startswith("-----"))


SP_SIGNING_CERT = pem_body(KEYS / "sp-rsa2048.crt")
SP_ENC_CERT = pem_body(KEYS / "sp-enc-rsa2048.crt")


def mappers():
    """email, firstName, lastName (user properties) and groups, all Basic name format."""

    def prop(name, friendly):
        return {
            "name": name,
            "protocol": "saml",
            "protocolMapper": "saml-user-property-mapper",
            "consentRequired": False,
            "config": {
                "user.attribute": name,
                "attribute.name": name,
                "friendly.name": friendly,
                "attribute.nameformat": "Basic",
            },
        }

    return [
        prop("email", "mail"),
        prop("firstName", "givenName"),
        prop("lastName", "sn"),
        {
            "name": "groups",
            "protocol": "saml",
            "protocolMapper": "saml-group-membership-mapper",
            "consentRequired": False,
            "config": {
                "attribute.name": "groups",
                "friendly.name": "groups",
                "attribute.nameformat": "Basic",
                # one <Attribute> with one <AttributeValue> per group
                "single": "true",
                # "visitor-admins", not "/visitor-admins"
                "full.path": "false",
            },
        },
    ]


def saml_client(
    entity_id,
    acs,
    description,
    *,
    server_sig,
    assertion_sig,
    client_sig,
    name_id="username",
    force_name_id=False,
    encrypt=None,
    idp_initiated=None,
    slo=None,
):
    attrs = {
        # bindings: always answer with an HTTP-POST form
        "saml.force.post.binding": "true",
        "saml_assertion_consumer_url_post": acs,
        "saml_assertion_consumer_url_redirect": "",
        "saml.artifact.binding": "false",
        "saml.allow.ecp.flow": "false",
        "saml.useMetadataDescriptorUrl": "false",
        # content
        "saml.authnstatement": "true",
        "saml.onetimeuse.condition": "false",
        "saml.assertion.lifespan": "300",
        "saml_name_id_format": name_id,
        "saml_force_name_id_format": "true" if force_name_id else "false",
        # signatures
        "saml.server.signature": "true" if server_sig else "false",
        "saml.assertion.signature": "true" if assertion_sig else "false",
        "saml.signature.algorithm": "RSA_SHA256",
        "saml_signature_canonicalization_method": EXC_C14N,
        "saml.server.signature.keyinfo.ext": "false",
        "saml.server.signature.keyinfo.xmlSigKeyInfoKeyNameTransformer": "KEY_ID",
        "saml.client.signature": "true" if client_sig else "false",
        "saml.encrypt": "false",
    }
    if client_sig:
        attrs["saml.signing.certificate"] = SP_SIGNING_CERT
    if encrypt:
        enc_alg, key_alg, digest, mgf = encrypt
        attrs.update(
            {
                "saml.encrypt": "true",
                "saml.encryption.certificate": SP_ENC_CERT,
                "saml.encryption.algorithm": enc_alg,
                "saml.encryption.keyAlgorithm": key_alg,
            }
        )
        if digest:
            attrs["saml.encryption.digestMethod"] = digest
        if mgf:
            attrs["saml.encryption.maskGenerationFunction"] = mgf
    if idp_initiated:
        url_name, relay_state = idp_initiated
        attrs["saml_idp_initiated_sso_url_name"] = url_name
        attrs["saml_idp_initiated_sso_relay_state"] = relay_state
    if slo:
        attrs["saml_single_logout_service_url_redirect"] = slo
        attrs["saml_single_logout_service_url_post"] = slo
    return {
        "clientId": entity_id,
        "name": entity_id,
        "description": description,
        "protocol": "saml",
        "enabled": True,
        "standardFlowEnabled": True,
        "implicitFlowEnabled": False,
        "directAccessGrantsEnabled": False,
        "serviceAccountsEnabled": False,
        "publicClient": True,
        "consentRequired": False,
        "frontchannelLogout": True,
        "fullScopeAllowed": False,
        "baseUrl": "",
        "redirectUris": [acs],
        "attributes": attrs,
        # no default client scopes: no role_list "Role" attribute, only the mappers below
        "defaultClientScopes": [],
        "optionalClientScopes": [],
        "protocolMappers": mappers(),
    }


# AES-256-GCM content, xmlenc11 RSA-OAEP with SHA-256 digest and MGF1-SHA256
ENC_GCM = (
    "http://www.w3.org/2009/xmlenc11#aes256-gcm",
    "http://www.w3.org/2009/xmlenc11#rsa-oaep",
    "http://www.w3.org/2001/04/xmlenc#sha256",
    "http://www.w3.org/2009/xmlenc11#mgf1sha256",
)
# Keycloak's historical default: AES-128-CBC content, RSA-OAEP-MGF1P (SHA-1) key transport
ENC_CBC = (
    "http://www.w3.org/2001/04/xmlenc#aes128-cbc",
    "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p",
    "http://www.w3.org/2000/09/xmldsig#sha1",
    None,
)


def persistent_ids(realm, username, entity_ids):
    """Pins the persistent NameID Keycloak would otherwise generate ("G-" + random UUID) on first
    use and store as the user attribute `saml.persistent.name.id.for.<clientId>`. Deterministic
    (UUIDv5), pairwise per SP, so fixtures and the demo see the same value after every restart."""
    return {
        f"saml.persistent.name.id.for.{e}": [
            "G-" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"samlsp:{realm}:{username}:{e}"))
        ]
        for e in entity_ids
    }


def user(username, first, last, domain, password, groups=(), enabled=True, attributes=None):
    return {
        "username": username,
        "enabled": enabled,
        "email": f"{username}@{domain}",
        "emailVerified": True,
        "firstName": first,
        "lastName": last,
        "credentials": [{"type": "password", "value": password, "temporary": False}],
        "requiredActions": [],
        "groups": [f"/{g}" for g in groups],
        "attributes": attributes or {},
    }


def realm_keys(name):
    """Pins the realm's RSA signing key; default hmac/aes providers must then be listed too."""
    return {
        "org.keycloak.keys.KeyProvider": [
            {
                "name": f"{name}-rsa-pinned",
                "providerId": "rsa",
                "subComponents": {},
                "config": {
                    "priority": ["200"],
                    "enabled": ["true"],
                    "active": ["true"],
                    "algorithm": ["RS256"],
                    "keyUse": ["SIG"],
                    "privateKey": [pem_body(OUT / "keys" / f"{name}-idp.key")],
                    "certificate": [pem_body(OUT / "keys" / f"{name}-idp.crt")],
                },
            },
            {
                "name": "hmac-generated-hs512",
                "providerId": "hmac-generated",
                "subComponents": {},
                "config": {"priority": ["100"], "algorithm": ["HS512"]},
            },
            {
                "name": "aes-generated",
                "providerId": "aes-generated",
                "subComponents": {},
                "config": {"priority": ["100"]},
            },
        ]
    }


def realm(name, display, domain, users, clients):
    return {
        "realm": name,
        "displayName": display,
        "enabled": True,
        "sslRequired": "none",
        "registrationAllowed": False,
        "loginWithEmailAllowed": True,
        "duplicateEmailsAllowed": False,
        "resetPasswordAllowed": False,
        "rememberMe": False,
        "verifyEmail": False,
        "bruteForceProtected": False,
        "accessCodeLifespan": 60,
        "accessCodeLifespanLogin": 1800,
        "accessCodeLifespanUserAction": 300,
        "ssoSessionIdleTimeout": 1800,
        "ssoSessionMaxLifespan": 36000,
        "groups": [
            {"name": "visitor-admins", "path": "/visitor-admins"},
            {"name": "staff", "path": "/staff"},
        ],
        "users": users,
        "clients": clients,
        "components": realm_keys(name),
    }


def acme():
    d = "acme.test"
    users = [
        user("alice", "Alice", "Anderson", d, "alice-acme-pw", groups=["visitor-admins", "staff"]),
        user("bob", "Bob", "Baker", d, "bob-acme-pw", groups=["staff"]),
        user("carol", "Carol", "Clark", d, "carol-acme-pw", groups=["staff"], enabled=False),
    ]
    demo = dict(
        # Documents signed too: Keycloak signs its logout messages (LogoutRequest,
        # LogoutResponse) only then, and the SP refuses unsigned ones.
        server_sig=True,
        assertion_sig=True,
        client_sig=True,
        name_id="email",
        force_name_id=True,
        encrypt=ENC_GCM,
    )
    clients = [
        saml_client(
            f"{SP}/saml/metadata",
            f"{SP}/saml/acs",
            "samlsp demo SP: signed AuthnRequests required, Response and assertion signed, assertion encrypted, email NameID",
            slo=f"{SP}/saml/slo",
            **demo,
        ),
        saml_client(
            f"{SP}/t/acme/saml/metadata",
            f"{SP}/t/acme/saml/acs",
            "samlsp demo SP, tenant path /t/acme: same settings as the default SP",
            slo=f"{SP}/t/acme/saml/slo",
            **demo,
        ),
        saml_client(
            f"{SP}/capture",
            f"{SP}/saml/acs",
            "capture: Response and Assertion signed, no encryption, unsigned AuthnRequests accepted",
            server_sig=True,
            assertion_sig=True,
            client_sig=False,
        ),
        saml_client(
            f"{SP}/capture/assertion-signed",
            f"{SP}/saml/acs",
            "capture: only the Assertion signed",
            server_sig=False,
            assertion_sig=True,
            client_sig=False,
        ),
        saml_client(
            f"{SP}/capture/encrypted-cbc",
            f"{SP}/saml/acs",
            "capture: both signed, assertion encrypted with AES-128-CBC + RSA-OAEP-MGF1P",
            server_sig=True,
            assertion_sig=True,
            client_sig=False,
            encrypt=ENC_CBC,
        ),
        saml_client(
            f"{SP}/capture/unsigned",
            f"{SP}/saml/acs",
            "capture: nothing signed (negative fixture: an SP must reject it)",
            server_sig=False,
            assertion_sig=False,
            client_sig=False,
        ),
    ]
    return realm("acme", "Acme Corporation", d, users, clients)


def globex():
    d = "globex.test"
    sps = [f"{SP}/saml/metadata", f"{SP}/t/globex/saml/metadata"]
    users = [
        user("gina", "Gina", "Garcia", d, "gina-globex-pw", groups=["visitor-admins", "staff"],
             attributes=persistent_ids("globex", "gina", sps)),
        user("hank", "Hank", "Hill", d, "hank-globex-pw", groups=["staff"],
             attributes=persistent_ids("globex", "hank", sps)),
        user("ivan", "Ivan", "Ivanov", d, "ivan-globex-pw", groups=["staff"], enabled=False,
             attributes=persistent_ids("globex", "ivan", sps)),
    ]
    demo = dict(
        server_sig=True,
        assertion_sig=False,
        client_sig=False,
        name_id="persistent",
        force_name_id=True,
    )
    clients = [
        saml_client(
            f"{SP}/saml/metadata",
            f"{SP}/saml/acs",
            "samlsp demo SP: only the Response signed, persistent NameID, IdP-initiated SSO",
            idp_initiated=("samlsp-demo", "/"),
            slo=f"{SP}/saml/slo",
            **demo,
        ),
        saml_client(
            f"{SP}/t/globex/saml/metadata",
            f"{SP}/t/globex/saml/acs",
            "samlsp demo SP, tenant path /t/globex: same settings as the default SP",
            idp_initiated=("samlsp-demo-tenant", "/"),
            slo=f"{SP}/t/globex/saml/slo",
            **demo,
        ),
    ]
    return realm("globex", "Globex Corporation", d, users, clients)


def main():
    for r in (acme(), globex()):
        path = OUT / f"{r['realm']}-realm.json"
        path.write_text(json.dumps(r, indent=2) + "\n")
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()
