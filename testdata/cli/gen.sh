#!/usr/bin/env bash
# IdP metadata for the CLI tests: the test IdP of testdata/responses (entity ID
# and signing certificate), one with an EC key, and one with no signing key.
set -euo pipefail
cd "$(dirname "$0")"
cert() { grep -v -- '-----' "../keys/$1" | tr -d '\n'; }
md() { # file cert-file
  cat > "$1" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.com/saml2/idp/metadata">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
        <ds:X509Data><ds:X509Certificate>$(cert "$2")</ds:X509Certificate></ds:X509Data>
      </ds:KeyInfo>
    </md:KeyDescriptor>
    <md:KeyDescriptor>
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
        <ds:X509Data><ds:X509Certificate>$(cert idp-p256.crt)</ds:X509Certificate></ds:X509Data>
      </ds:KeyInfo>
    </md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/saml2/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
XML
}
md idp-metadata.xml idp-rsa2048.crt
cat > idp-metadata-no-key.xml <<XML
<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.com/saml2/idp/metadata">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/saml2/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
XML
base64 -w 76 ../responses/valid-assertion-signed.xml > valid-assertion-signed.b64
