<?php
/*
 * Prepended to every PHP script that PHP's built-in web server runs (start.sh passes it as
 * auto_prepend_file): buffers the script's output and sends it with a Content-Length.
 *
 * Why: the built-in server ends a response by closing the connection, with neither
 * Content-Length nor chunked encoding (RFC 9112 §6.3, last rule: the body runs to the close).
 * The demo's metadata fetcher cannot read such a body (its HTTP client, awc, does not read
 * close-delimited HTTP/1.1 bodies) and refuses it by name. Static files already carry a length.
 */

ob_start();
register_shutdown_function(static function (): void {
    // Registered from inside a shutdown function so that it runs after SimpleSAMLphp's own.
    register_shutdown_function(static function (): void {
        if (headers_sent()) {
            return;
        }
        // Every buffer, innermost last (outer buffers hold what was written before).
        $body = '';
        while (ob_get_level() > 0) {
            $body = (string) ob_get_clean() . $body;
        }
        header('Content-Length: ' . strlen($body));
        echo $body;
    });
});
