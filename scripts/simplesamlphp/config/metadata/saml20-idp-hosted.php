<?php
/*
 * The conformance IdP "Umbrella": entity ID <base URL>/saml2/idp/metadata.php (SimpleSAMLphp's
 * __DYNAMIC:1__), signing key and certificate made by install.sh in the state directory.
 *
 * NameID formats: every format it offers is generated for every sign-in (authproc below), and
 * the one sent is the AuthnRequest's NameIDPolicy Format if it is one of them, else the SP's
 * configured NameIDFormat (the test's option overlay), else transient. SAML Core 2.0 §3.4.1.1.
 *
 * Attributes are sent named by OID with NameFormat uri (SimpleSAMLphp's name2oid map), the
 * usual form in research federations (SAML2Int, eduPerson).
 *
 * Single Logout: `logouttype` 'traditional' (the default: the browser is redirected to each
 * SP's SingleLogoutService in turn) or 'iframe' (one page loads every SP's logout in a hidden
 * frame). A test switches it through <state>/idp-options.json, read at every request and
 * merged over the entry below. Whether logout messages are signed is per SP (`sign.logout`
 * in the SP overlay, see saml20-sp-remote.php).
 */

$idpOptionsFile = getenv('SAMLSP_SSP_STATE') . '/idp-options.json';
$idpOptions = is_file($idpOptionsFile)
    ? json_decode((string) file_get_contents($idpOptionsFile), true, 8, JSON_THROW_ON_ERROR)
    : [];

$metadata['__DYNAMIC:1__'] = array_merge([
    'host' => '__DEFAULT__',
    'privatekey' => 'idp.key',
    'certificate' => 'idp.crt',
    'auth' => 'umbrella-users',
    // Both bindings for AuthnRequests (SAML Bindings 2.0 §3.4, §3.5) and for logout messages.
    'SingleSignOnServiceBinding' => [
        'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
        'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
    ],
    'SingleLogoutServiceBinding' => [
        'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
        'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
    ],

    'signature.algorithm' => 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    // Defaults for every SP; the SP entries (saml20-sp-remote.php) override them per test.
    'saml20.sign.response' => true,
    'saml20.sign.assertion' => true,
    'assertion.encryption' => false,

    'NameIDFormat' => [
        'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
        'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
        'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
        'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
    ],
    'userid.attribute' => 'uid',
    'attributes.NameFormat' => 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri',

    'authproc' => [
        10 => ['class' => 'saml:TransientNameID'],
        11 => ['class' => 'saml:PersistentNameID', 'attribute' => 'uid'],
        12 => [
            'class' => 'saml:AttributeNameID',
            'attribute' => 'mail',
            'Format' => 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
        ],
        13 => [
            'class' => 'saml:AttributeNameID',
            'attribute' => 'uid',
            'Format' => 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
        ],
        90 => ['class' => 'core:AttributeMap', 'name2oid'],
    ],
], $idpOptions);
