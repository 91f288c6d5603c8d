"""The Keycloak side of each company: a SAML client created by importing the demo's own SP
metadata (what an IdP administrator does with "Import client"), then given the settings the
company's cases need. Nothing about the SP (entity ID, ACS, certificates, whether requests are
signed) is written by hand: it all comes from the metadata.
"""

from __future__ import annotations

import dataclasses
import json

from .keycloak import KeycloakAdmin

XENC11 = "http://www.w3.org/2009/xmlenc11#"
AES256_GCM = XENC11 + "aes256-gcm"
RSA_OAEP_11 = XENC11 + "rsa-oaep"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
MGF1_SHA256 = XENC11 + "mgf1sha256"

IDP_INITIATED_NAME = "samlsp-conformance"

# Company settings on top of what the import produced (two realms, configured differently).
COMPANY = {
    # Signed + encrypted assertions, signed HTTP-Redirect AuthnRequests required, email NameID.
    "acme": {
        "tenant": None,  # the demo's shared SP, /saml/...
        "attributes": {
            "saml.server.signature": "false",
            "saml.assertion.signature": "true",
            "saml.client.signature": "true",
            "saml.encrypt": "true",
            "saml.encryption.algorithm": AES256_GCM,
            "saml.encryption.keyAlgorithm": RSA_OAEP_11,
            "saml.encryption.digestMethod": SHA256,
            "saml.encryption.maskGenerationFunction": MGF1_SHA256,
            "saml_name_id_format": "email",
            "saml_force_name_id_format": "true",
            "saml.force.post.binding": "true",
            "saml.authnstatement": "true",
        },
    },
    # Only the Response signed, HTTP-POST AuthnRequests, persistent NameID, IdP-initiated SSO.
    "globex": {
        "tenant": "globex",  # its own SP, /t/globex/saml/...
        "attributes": {
            "saml.server.signature": "true",
            "saml.assertion.signature": "false",
            "saml.encrypt": "false",
            "saml_name_id_format": "persistent",
            "saml_force_name_id_format": "true",
            "saml.force.post.binding": "true",
            "saml.authnstatement": "true",
            "saml_idp_initiated_sso_url_name": IDP_INITIATED_NAME,
            "saml_idp_initiated_sso_relay_state": "",
        },
    },
}


def mappers() -> list[dict]:
    """email, firstName, lastName (user properties) and groups (one Attribute, one value per
    group), all NameFormat Basic: the attributes the demo's `keycloak` profile maps."""

    def prop(name, attr, friendly):
        return {
            "name": name, "protocol": "saml", "protocolMapper": "saml-user-property-mapper",
            "consentRequired": False,
            "config": {"user.attribute": attr, "attribute.name": attr, "friendly.name": friendly,
                       "attribute.nameformat": "Basic"},
        }

    return [
        prop("email", "email", "email"),
        prop("firstName", "firstName", "givenName"),
        prop("lastName", "lastName", "surname"),
        {
            "name": "groups", "protocol": "saml", "protocolMapper": "saml-group-membership-mapper",
            "consentRequired": False,
            "config": {"attribute.name": "groups", "friendly.name": "groups",
                       "attribute.nameformat": "Basic", "single": "true", "full.path": "false"},
        },
    ]


@dataclasses.dataclass
class Client:
    company: str
    realm: str
    tenant: str | None
    client_id: str  # = the SP entity ID
    id: str  # Keycloak's internal id
    sp_metadata: str
    converted: dict  # what client-description-converter made of our metadata
    baseline: dict  # the company attributes, restored after cases that change them

    def idp_initiated_url(self, kc_url: str) -> str:
        return f"{kc_url}/realms/{self.realm}/protocol/saml/clients/{IDP_INITIATED_NAME}"


def create_clients(env, kc: KeycloakAdmin, demo) -> dict[str, Client]:
    out = {}
    for company, spec in COMPANY.items():
        realm = env.realms[company]
        sp_metadata = demo.metadata(spec["tenant"])
        converted = kc.convert_client_description(realm, sp_metadata)
        cid = kc.create_client(realm, converted)
        kc.update_client(realm, cid, attributes=spec["attributes"])
        kc.add_protocol_mappers(realm, cid, mappers())
        (env.artifacts / f"keycloak-{company}-sp-metadata.xml").write_text(sp_metadata)
        (env.artifacts / f"keycloak-{company}-imported-client.json").write_text(json.dumps(converted, indent=2))
        (env.artifacts / f"keycloak-{company}-client.json").write_text(json.dumps(kc.client(realm, cid), indent=2))
        out[company] = Client(company=company, realm=realm, tenant=spec["tenant"],
                              client_id=converted["clientId"], id=cid, sp_metadata=sp_metadata,
                              converted=converted, baseline=dict(spec["attributes"]))
    return out


def restore(kc: KeycloakAdmin, client: Client) -> None:
    kc.update_client(client.realm, client.id, attributes=client.baseline)
