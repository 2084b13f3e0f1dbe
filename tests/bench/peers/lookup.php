<?php
// lookup.php - the php-fpm peer of tests/bench/run.sh: the same indexed
// look-up (GET ?n=NUMBER) or one-row INSERT (a request whose URI contains
// /insert) as peers/lookup_fcgi.c, with PDO SQLite on the same database.
// Benchmark code only; never installed.
$db = new PDO('sqlite:' . getenv('OAK_BENCH_DB'), null, null,
              [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION, PDO::ATTR_PERSISTENT => true]);
$db->exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000');
header('Content-Type: application/json');
if (strpos($_SERVER['REQUEST_URI'], '/insert') !== false) {
    $st = $db->prepare('INSERT INTO peer_events(number, at) VALUES (?, ?)');
    $st->execute(['D530502-22222222', time()]);
    http_response_code(201);
    echo json_encode(['id' => (int)$db->lastInsertId()]);
    return;
}
$st = $db->prepare('SELECT number, status, region, month FROM peer_donors WHERE number = ?');
$st->execute([$_GET['n'] ?? '']);
$row = $st->fetch(PDO::FETCH_ASSOC);
if (!$row) {
    http_response_code(404);
    echo '{}';
    return;
}
$row['region'] = (int)$row['region'];
echo json_encode($row);
