<?php
/*
 * Registers SAML SPs at the conformance IdP from their own metadata, the way an IdP operator
 * would: fetch each URL, let SimpleSAMLphp's metadata parser (SimpleSAML\Metadata\SAMLParser,
 * what its metadata converter uses) turn the SPSSODescriptor into a saml20-sp-remote entry,
 * and write all entries to <state>/sp-remote.json (read by config/metadata/saml20-sp-remote.php).
 *
 *   php register-sp.php <state dir> <SP metadata URL or file>...
 *
 * Every SP's AuthnRequests must be signed (validate.authnrequest): the demo signs them.
 */

require '/usr/share/simplesamlphp/lib/_autoload.php';

if ($argc < 3) {
    fwrite(STDERR, "usage: php register-sp.php <state dir> <SP metadata URL or file>...\n");
    exit(2);
}
$state = $argv[1];
$entries = [];
foreach (array_slice($argv, 2) as $url) {
    $ctx = stream_context_create(['http' => ['timeout' => 10]]);
    $xml = @file_get_contents($url, false, $ctx, 0, 1 << 20);
    if ($xml === false || $xml === '') {
        fwrite(STDERR, "register-sp: could not fetch $url\n");
        exit(1);
    }
    try {
        $descriptors = \SimpleSAML\Metadata\SAMLParser::parseDescriptorsString($xml);
    } catch (\Throwable $e) {
        fwrite(STDERR, "register-sp: $url: " . $e->getMessage() . "\n");
        exit(1);
    }
    foreach ($descriptors as $entityId => $parsed) {
        $sp = $parsed->getMetadata20SP();
        if ($sp === null) {
            fwrite(STDERR, "register-sp: $url: $entityId has no SPSSODescriptor\n");
            exit(1);
        }
        unset($sp['metadata-set']);
        $sp['validate.authnrequest'] = true;
        $sp['validate.logout'] = true;
        $entries[$entityId] = $sp;
    }
}
if ($entries === []) {
    fwrite(STDERR, "register-sp: no EntityDescriptor in what was given\n");
    exit(1);
}
// The whole list is replaced: what was registered before and not named now is gone.
$tmp = "$state/sp-remote.json.tmp";
file_put_contents($tmp, json_encode($entries, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR));
rename($tmp, "$state/sp-remote.json");
echo 'register-sp: ' . implode(', ', array_keys($entries)) . "\n";
