<?php
/*
 * SimpleSAMLphp 1.19 configuration for the conformance IdP "Umbrella" (scripts/simplesamlphp).
 *
 * Nothing here is per machine: the state directory (key, certificate, secret salt, sessions,
 * logs, the registered SPs) and the public URL come from the environment that
 * scripts/simplesamlphp/start.sh sets, so the same files serve every port and checkout.
 * Test material only: no admin password is usable, the IdP runs on loopback over HTTP.
 */

$state = getenv('SAMLSP_SSP_STATE');
$base = getenv('SAMLSP_SSP_BASEURL');
if ($state === false || $base === false) {
    throw new Exception('SAMLSP_SSP_STATE and SAMLSP_SSP_BASEURL must be set (scripts/simplesamlphp/start.sh)');
}

$config = [
    // PHP's built-in web server serves /usr/share/simplesamlphp/www at the root of its port.
    'baseurlpath' => rtrim($base, '/') . '/',
    'certdir' => $state . '/',
    'loggingdir' => $state . '/',
    'datadir' => $state . '/data/',
    'tempdir' => $state . '/tmp',
    'metadatadir' => __DIR__ . '/metadata/',
    'attributenamemapdir' => '/usr/share/simplesamlphp/config/attributemap/',

    'technicalcontact_name' => 'samlsp conformance',
    'technicalcontact_email' => 'na@umbrella.test',
    'timezone' => 'UTC',

    // Written by install.sh (random, per state directory); SSP hashes persistent NameIDs with it.
    'secretsalt' => trim((string) @file_get_contents($state . '/secretsalt')),
    // Random (install.sh), never printed: the admin pages are not used.
    'auth.adminpassword' => trim((string) @file_get_contents($state . '/adminpassword')),
    'admin.protectindexpage' => true,
    'admin.protectmetadata' => false,
    'admin.checkforupdates' => false,

    'enable.saml20-idp' => true,
    'enable.shib13-idp' => false,
    'enable.adfs-idp' => false,
    'enable.http_post' => false,

    'debug' => ['saml' => false, 'backtraces' => true, 'validatexml' => false],
    'showerrors' => true,
    'errorreporting' => false,
    'production' => false,

    'logging.level' => SimpleSAML\Logger::INFO,
    'logging.handler' => 'file',
    'logging.logfile' => 'simplesamlphp.log',
    'logging.processname' => 'simplesamlphp',
    'statistics.out' => [],

    'module.enable' => ['exampleauth' => true, 'core' => true, 'saml' => true, 'admin' => true],

    'store.type' => 'phpsession',
    'session.phpsession.savepath' => $state . '/sessions',
    // Every cookie of the IdP starts with "SimpleSAML" (PHP's default would be PHPSESSID), so a
    // test can hand the IdP session alone to a second browser context.
    'session.phpsession.cookiename' => 'SimpleSAMLSessionID',
    'session.duration' => 8 * 3600,
    // Plain HTTP on loopback: no Secure flag, so that non-browser clients keep the cookie too.
    'session.cookie.secure' => false,
    'session.cookie.samesite' => null,
    'language.cookie.secure' => false,
    'language.cookie.samesite' => null,
    'language.available' => ['en'],
    'language.default' => 'en',

    // Where it may send a browser after a logout it was asked for
    // (SingleLogoutService.php?ReturnTo=...): only back to services on loopback, any port.
    'trusted.url.regex' => true,
    'trusted.url.domains' => ['127\\.0\\.0\\.1(:[0-9]+)?'],

    'metadata.sources' => [['type' => 'flatfile']],
    'metadata.sign.enable' => false,
];
