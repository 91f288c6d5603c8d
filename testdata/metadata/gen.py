#!/usr/bin/env python3
"""Generate the IdP metadata samples in this directory.

    .venv/bin/python testdata/metadata/gen.py

The product samples reproduce the *shape* of the metadata each product publishes, as
described in its public documentation (element order, extra roles and namespaces,
signing, KeyDescriptor use), with this repository's test certificates in place of the
real ones. The real Keycloak descriptor captured from Keycloak 26.7.5 lives in
testdata/keycloak/captured/ and is tested as well.

- idp-entra.xml       Microsoft Entra ID federation metadata: signed EntityDescriptor with
                      an ID, WS-Federation RoleDescriptors (xsi:type fed:*), IDPSSODescriptor
- idp-adfs.xml        AD FS FederationMetadata.xml: signed, RoleDescriptors, an
                      SPSSODescriptor before the IDPSSODescriptor, encryption + signing keys
- idp-okta.xml        Okta app metadata: one signing key, WantAuthnRequestsSigned="false"
- idp-shibboleth.xml  Shibboleth IdP v4/v5: Extensions (shibmd:Scope, mdui), SAML 1.1 and
                      2.0 in protocolSupportEnumeration, a KeyDescriptor without use, plus
                      signing and encryption, SOAP/Artifact endpoints, an
                      AttributeAuthorityDescriptor
- idp-rollover.xml    two signing keys (current and next)
- federation-signed.xml   an EntitiesDescriptor (three IdPs and an SP, nested group,
                      validUntil, cacheDuration) signed by the federation key
                      (idp-rsa3072, standing in for a federation operator)
- hostile-*.xml       DTD, wrong namespace, javascript: URL, no signing key, expired

RSA PKCS#1 v1.5 signatures are deterministic: running the script again changes nothing.
"""
from __future__ import annotations

from pathlib import Path

import xmlsec
from lxml import etree

HERE = Path(__file__).resolve().parent
KEYS = HERE.parent / "keys"

MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
P2 = "urn:oasis:names:tc:SAML:2.0:protocol"
REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
SOAP = "urn:oasis:names:tc:SAML:2.0:bindings:SOAP"
ARTIFACT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact"
SIMPLESIGN = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST-SimpleSign"
EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"


def cert(name: str) -> str:
    pem = (KEYS / name).read_text()
    return "".join(line for line in pem.splitlines() if "-----" not in line)


def key_descriptor(use: str | None, certificate: str, extra: str = "") -> str:
    u = f' use="{use}"' if use else ""
    return (
        f'<md:KeyDescriptor{u}><ds:KeyInfo xmlns:ds="{DS}"><ds:X509Data><ds:X509Certificate>'
        f"{cert(certificate)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>{extra}</md:KeyDescriptor>"
    )


def sign(xml: str, key: str, crt: str) -> bytes:
    root = etree.fromstring(xml.encode())
    sig = xmlsec.template.create(
        root, xmlsec.constants.TransformExclC14N, xmlsec.constants.TransformRsaSha256, ns="ds"
    )
    root.insert(0, sig)
    ref = xmlsec.template.add_reference(sig, xmlsec.constants.TransformSha256, uri=f"#{root.get('ID')}")
    xmlsec.template.add_transform(ref, xmlsec.constants.TransformEnveloped)
    xmlsec.template.add_transform(ref, xmlsec.constants.TransformExclC14N)
    xmlsec.template.add_x509_data(xmlsec.template.ensure_key_info(sig))
    ctx = xmlsec.SignatureContext()
    ctx.register_id(root, "ID")
    ctx.key = xmlsec.Key.from_file(str(KEYS / key), xmlsec.constants.KeyDataFormatPem)
    ctx.key.load_cert_from_file(str(KEYS / crt), xmlsec.constants.KeyDataFormatPem)
    ctx.sign(sig)
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True)


def entra() -> bytes:
    tenant = "3c5c8a2e-7f41-4d55-9a9e-0c2f3b1d7e64"
    sts = f"https://sts.windows.net/{tenant}/"
    login = f"https://login.microsoftonline.com/{tenant}/saml2"
    xml = (
        f'<EntityDescriptor xmlns="{MD}" ID="_a1b2c3d4-0000-4000-8000-000000000001" entityID="{sts}">'
        f'<RoleDescriptor xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xmlns:fed="http://docs.oasis-open.org/wsfed/federation/200706" xsi:type="fed:SecurityTokenServiceType" '
        f'protocolSupportEnumeration="http://docs.oasis-open.org/wsfed/federation/200706">'
        f'<KeyDescriptor use="signing"><KeyInfo xmlns="{DS}"><X509Data><X509Certificate>{cert("idp-rsa2048.crt")}'
        f"</X509Certificate></X509Data></KeyInfo></KeyDescriptor>"
        f"<fed:ClaimTypesOffered><auth:ClaimType xmlns:auth=\"http://docs.oasis-open.org/wsfed/authorization/200706\" "
        f'Uri="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"><auth:DisplayName>Name</auth:DisplayName>'
        f"</auth:ClaimType></fed:ClaimTypesOffered>"
        f"<fed:PassiveRequestorEndpoint><wsa:EndpointReference xmlns:wsa=\"http://www.w3.org/2005/08/addressing\">"
        f"<wsa:Address>https://login.microsoftonline.com/{tenant}/wsfed</wsa:Address></wsa:EndpointReference>"
        f"</fed:PassiveRequestorEndpoint></RoleDescriptor>"
        f'<IDPSSODescriptor protocolSupportEnumeration="{P2}">'
        f'<KeyDescriptor use="signing"><KeyInfo xmlns="{DS}"><X509Data><X509Certificate>{cert("idp-rsa2048.crt")}'
        f"</X509Certificate></X509Data></KeyInfo></KeyDescriptor>"
        f'<SingleLogoutService Binding="{REDIRECT}" Location="{login}"/>'
        f'<SingleSignOnService Binding="{REDIRECT}" Location="{login}"/>'
        f'<SingleSignOnService Binding="{POST}" Location="{login}"/>'
        f"</IDPSSODescriptor></EntityDescriptor>"
    )
    return sign(xml, "idp-rsa2048.key", "idp-rsa2048.crt")


def adfs() -> bytes:
    base = "https://adfs.example.com/adfs/ls/"
    xml = (
        f'<EntityDescriptor xmlns="{MD}" ID="_6c1e7f1a-2b3c-4d5e-8f90-a1b2c3d4e5f6" '
        f'entityID="http://adfs.example.com/adfs/services/trust">'
        f'<RoleDescriptor xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xmlns:fed="http://docs.oasis-open.org/wsfed/federation/200706" xsi:type="fed:ApplicationServiceType" '
        f'protocolSupportEnumeration="http://docs.oasis-open.org/wsfed/federation/200706">'
        f'<KeyDescriptor use="encryption"><KeyInfo xmlns="{DS}"><X509Data><X509Certificate>{cert("sp-enc-rsa2048.crt")}'
        f"</X509Certificate></X509Data></KeyInfo></KeyDescriptor>"
        f"<fed:TargetScopes><wsa:EndpointReference xmlns:wsa=\"http://www.w3.org/2005/08/addressing\">"
        f"<wsa:Address>https://adfs.example.com/adfs/services/trust/2005/issuedtokenmixedasymmetricbasic256</wsa:Address>"
        f"</wsa:EndpointReference></fed:TargetScopes></RoleDescriptor>"
        f'<SPSSODescriptor WantAssertionsSigned="true" protocolSupportEnumeration="{P2}">'
        f'<KeyDescriptor use="encryption"><KeyInfo xmlns="{DS}"><X509Data><X509Certificate>{cert("sp-enc-rsa2048.crt")}'
        f"</X509Certificate></X509Data></KeyInfo></KeyDescriptor>"
        f'<AssertionConsumerService Binding="{POST}" Location="{base}" index="0" isDefault="true"/>'
        f"</SPSSODescriptor>"
        f'<IDPSSODescriptor protocolSupportEnumeration="{P2}">'
        f'<KeyDescriptor use="encryption"><KeyInfo xmlns="{DS}"><X509Data><X509Certificate>{cert("sp-enc-rsa2048.crt")}'
        f"</X509Certificate></X509Data></KeyInfo></KeyDescriptor>"
        f'<KeyDescriptor use="signing"><KeyInfo xmlns="{DS}"><X509Data><X509Certificate>{cert("idp-rsa2048.crt")}'
        f"</X509Certificate></X509Data></KeyInfo></KeyDescriptor>"
        f'<SingleLogoutService Binding="{REDIRECT}" Location="{base}"/>'
        f'<SingleLogoutService Binding="{POST}" Location="{base}"/>'
        f"<NameIDFormat>{EMAIL}</NameIDFormat><NameIDFormat>{PERSISTENT}</NameIDFormat>"
        f"<NameIDFormat>{TRANSIENT}</NameIDFormat>"
        f'<SingleSignOnService Binding="{REDIRECT}" Location="{base}"/>'
        f'<SingleSignOnService Binding="{POST}" Location="{base}"/>'
        f'<Attribute xmlns="urn:oasis:names:tc:SAML:2.0:assertion" '
        f'Name="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress" '
        f'NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri" FriendlyName="E-Mail Address"/>'
        f"</IDPSSODescriptor></EntityDescriptor>"
    )
    return sign(xml, "idp-rsa2048.key", "idp-rsa2048.crt")


def okta() -> bytes:
    base = "https://example.okta.com/app/example_samlsp_1/exk1a2b3c4d5e6f7g8h9/sso/saml"
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><md:EntityDescriptor xmlns:md="{MD}" '
        f'entityID="http://www.okta.com/exk1a2b3c4d5e6f7g8h9"><md:IDPSSODescriptor WantAuthnRequestsSigned="false" '
        f'protocolSupportEnumeration="{P2}">{key_descriptor("signing", "idp-rsa2048.crt")}'
        f"<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified</md:NameIDFormat>"
        f"<md:NameIDFormat>{EMAIL}</md:NameIDFormat>"
        f'<md:SingleSignOnService Binding="{POST}" Location="{base}"/>'
        f'<md:SingleSignOnService Binding="{REDIRECT}" Location="{base}"/>'
        f"</md:IDPSSODescriptor></md:EntityDescriptor>"
    ).encode()


def shibboleth_entity(entity_id: str = "https://idp.example.org/idp/shibboleth", host: str = "idp.example.org") -> str:
    return (
        f'<EntityDescriptor xmlns="{MD}" xmlns:md="{MD}" xmlns:ds="{DS}" xmlns:shibmd="urn:mace:shibboleth:metadata:1.0" '
        f'xmlns:mdui="urn:oasis:names:tc:SAML:metadata:ui" entityID="{entity_id}">'
        f"<Extensions><shibmd:Scope regexp=\"false\">example.org</shibmd:Scope></Extensions>"
        f'<IDPSSODescriptor protocolSupportEnumeration="{P2} urn:oasis:names:tc:SAML:1.1:protocol urn:mace:shibboleth:1.0">'
        f"<Extensions><shibmd:Scope regexp=\"false\">example.org</shibmd:Scope>"
        f'<mdui:UIInfo><mdui:DisplayName xml:lang="en">Example University</mdui:DisplayName></mdui:UIInfo></Extensions>'
        f"{key_descriptor(None, 'idp-rsa3072.crt')}"
        f"{key_descriptor('signing', 'idp-rsa2048.crt')}"
        f"{key_descriptor('encryption', 'sp-enc-rsa2048.crt')}"
        f'<ArtifactResolutionService Binding="{SOAP}" Location="https://{host}:8443/idp/profile/SAML2/SOAP/ArtifactResolution" index="2"/>'
        f'<SingleLogoutService Binding="{REDIRECT}" Location="https://{host}/idp/profile/SAML2/Redirect/SLO"/>'
        f'<SingleLogoutService Binding="{POST}" Location="https://{host}/idp/profile/SAML2/POST/SLO"/>'
        f'<SingleLogoutService Binding="{SOAP}" Location="https://{host}:8443/idp/profile/SAML2/SOAP/SLO"/>'
        f"<NameIDFormat>{TRANSIENT}</NameIDFormat><NameIDFormat>{PERSISTENT}</NameIDFormat>"
        f'<SingleSignOnService Binding="urn:mace:shibboleth:1.0:profiles:AuthnRequest" Location="https://{host}/idp/profile/Shibboleth/SSO"/>'
        f'<SingleSignOnService Binding="{POST}" Location="https://{host}/idp/profile/SAML2/POST/SSO"/>'
        f'<SingleSignOnService Binding="{SIMPLESIGN}" Location="https://{host}/idp/profile/SAML2/POST-SimpleSign/SSO"/>'
        f'<SingleSignOnService Binding="{REDIRECT}" Location="https://{host}/idp/profile/SAML2/Redirect/SSO"/>'
        f"</IDPSSODescriptor>"
        f'<AttributeAuthorityDescriptor protocolSupportEnumeration="{P2}">'
        f"{key_descriptor(None, 'idp-rsa2048.crt')}"
        f'<AttributeService Binding="{SOAP}" Location="https://{host}:8443/idp/profile/SAML2/SOAP/AttributeQuery"/>'
        f"</AttributeAuthorityDescriptor></EntityDescriptor>"
    )


def rollover() -> bytes:
    return (
        f'<md:EntityDescriptor xmlns:md="{MD}" entityID="https://idp.example.com/saml2/idp/metadata">'
        f'<md:IDPSSODescriptor WantAuthnRequestsSigned="true" protocolSupportEnumeration="{P2}">'
        f"{key_descriptor('signing', 'idp-rsa2048.crt')}{key_descriptor('signing', 'idp-rsa3072.crt')}"
        f'<md:SingleSignOnService Binding="{REDIRECT}" Location="https://idp.example.com/sso"/>'
        f"</md:IDPSSODescriptor></md:EntityDescriptor>"
    ).encode()


def federation() -> bytes:
    okta_entity = okta().decode().split("?>", 1)[1]
    sp = (
        f'<md:EntityDescriptor xmlns:md="{MD}" entityID="https://sp.example.net/shibboleth">'
        f'<md:SPSSODescriptor protocolSupportEnumeration="{P2}">'
        f'<md:AssertionConsumerService Binding="{POST}" Location="https://sp.example.net/acs" index="0"/>'
        f"</md:SPSSODescriptor></md:EntityDescriptor>"
    )
    xml = (
        f'<md:EntitiesDescriptor xmlns:md="{MD}" ID="_federation_2026" Name="urn:example:federation" '
        f'validUntil="2036-01-01T00:00:00Z" cacheDuration="PT6H">'
        f"{okta_entity}{sp}"
        f'<md:EntitiesDescriptor Name="urn:example:federation:universities" cacheDuration="PT2H">'
        f"{shibboleth_entity()}"
        f"{shibboleth_entity('https://idp.example.edu/idp/shibboleth', 'idp.example.edu')}"
        f"</md:EntitiesDescriptor></md:EntitiesDescriptor>"
    )
    return sign(xml, "idp-rsa3072.key", "idp-rsa3072.crt")


def hostile() -> dict[str, bytes]:
    good = okta().decode()
    return {
        "hostile-dtd.xml": good.replace(
            "?>", '?><!DOCTYPE md:EntityDescriptor [<!ENTITY x SYSTEM "file:///etc/passwd">]>', 1
        ).encode(),
        "hostile-wrong-namespace.xml": good.replace(MD, "urn:oasis:names:tc:SAML:2.0:metadata:evil").encode(),
        "hostile-javascript-url.xml": good.replace(
            'Binding="' + REDIRECT + '" Location="https://',
            'Binding="' + REDIRECT + '" Location="javascript:alert(1)//',
        ).encode(),
        "hostile-no-signing-key.xml": good.replace('use="signing"', 'use="encryption"').encode(),
        "hostile-expired.xml": good.replace(
            'entityID="http', 'validUntil="2020-01-01T00:00:00Z" entityID="http', 1
        ).encode(),
    }


def main() -> None:
    files = {
        "idp-entra.xml": entra(),
        "idp-adfs.xml": adfs(),
        "idp-okta.xml": okta(),
        "idp-shibboleth.xml": ('<?xml version="1.0" encoding="UTF-8"?>\n' + shibboleth_entity()).encode(),
        "idp-rollover.xml": rollover(),
        "federation-signed.xml": federation(),
        **hostile(),
    }
    for name, data in files.items():
        (HERE / name).write_bytes(data)
    print(f"wrote {len(files)} files")


if __name__ == "__main__":
    main()
