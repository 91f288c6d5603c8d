<?php
/*
 * Authentication sources of the conformance IdP: `admin` (SimpleSAMLphp needs it; unused) and
 * `umbrella-users`, an exampleauth:UserPass source whose users and attributes come from
 * testdata/conformance/simplesamlphp/users.json (username, password, attributes by name).
 */

$users = json_decode(
    (string) file_get_contents(__DIR__ . '/../../../testdata/conformance/simplesamlphp/users.json'),
    true,
    8,
    JSON_THROW_ON_ERROR
);

$source = ['exampleauth:UserPass'];
foreach ($users as $name => $user) {
    $source[$name . ':' . $user['password']] = $user['attributes'];
}

$config = [
    'admin' => ['core:AdminPassword'],
    'umbrella-users' => $source,
];
