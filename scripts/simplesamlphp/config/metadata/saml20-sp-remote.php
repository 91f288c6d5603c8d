<?php
/*
 * The SPs this IdP trusts: the entries register-sp.php wrote from the SPs' own metadata
 * (<state>/sp-remote.json), each overlaid with the options a test set for it
 * (<state>/sp-options.json: saml20.sign.response, saml20.sign.assertion, assertion.encryption,
 * NameIDFormat, ...). Both files are read at every request, so a test changes the IdP's
 * behaviour for an SP by rewriting the overlay; no restart.
 */

$state = getenv('SAMLSP_SSP_STATE');
$read = function (string $file): array {
    if (!is_file($file)) {
        return [];
    }
    return json_decode((string) file_get_contents($file), true, 64, JSON_THROW_ON_ERROR);
};
$registered = $read($state . '/sp-remote.json');
$options = $read($state . '/sp-options.json');
foreach ($registered as $entityId => $entry) {
    $metadata[$entityId] = array_merge($entry, $options[$entityId] ?? []);
}
