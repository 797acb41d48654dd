-- Schema and edge rows of the comparison suite (compare_test.go). The
-- same statements run on the SQL node and on MariaDB; {ENGINE} becomes
-- "ENGINE=NDB ..." on the SQL node and "ENGINE=InnoDB ..." on MariaDB,
-- with utf8mb4_bin on both. The bulk rows of emp and orders are generated
-- by compareData in compare_test.go (deterministic).

CREATE TABLE dept (
  id TINYINT UNSIGNED NOT NULL PRIMARY KEY,
  dname VARCHAR(20) NOT NULL,
  budget BIGINT,
  UNIQUE KEY dname (dname)
) {ENGINE};

INSERT INTO dept VALUES (1,'sales',100000),(2,'research',250000),(3,'ops',NULL),
  (4,'legal',50000),(5,'support',75000),(6,'marketing',120000),(9,'empty',0);

CREATE TABLE emp (
  id INT NOT NULL PRIMARY KEY,
  a INT,
  b INT NOT NULL,
  name VARCHAR(32) NOT NULL,
  salary DECIMAL(10,2),
  score DOUBLE,
  grp VARCHAR(8),
  hired DATE,
  dept TINYINT UNSIGNED,
  UNIQUE KEY name (name),
  KEY a (a),
  KEY grp_b (grp, b),
  KEY dept (dept)
) {ENGINE};

CREATE TABLE orders (
  id INT NOT NULL PRIMARY KEY,
  emp_id INT,
  qty SMALLINT,
  price DECIMAL(8,3) NOT NULL,
  status CHAR(8) NOT NULL,
  at DATETIME NOT NULL,
  KEY emp_id (emp_id),
  KEY at (at)
) {ENGINE};

CREATE TABLE types (
  id INT NOT NULL PRIMARY KEY,
  ti TINYINT, tiu TINYINT UNSIGNED,
  si SMALLINT, siu SMALLINT UNSIGNED,
  mi MEDIUMINT, miu MEDIUMINT UNSIGNED,
  i INT, iu INT UNSIGNED,
  bi BIGINT, biu BIGINT UNSIGNED,
  d DECIMAL(20,6), d0 DECIMAL(5,0),
  f FLOAT, db DOUBLE,
  ch CHAR(10), vc VARCHAR(50),
  bn BINARY(4), vb VARBINARY(16),
  tt TINYTEXT, tx TEXT,
  tb TINYBLOB, bl BLOB,
  dt DATE, dtm DATETIME, ts TIMESTAMP NULL, tm TIME,
  bt BIT(8),
  KEY i (i),
  KEY vc (vc),
  KEY dtm (dtm)
) {ENGINE};

INSERT INTO types VALUES
  (1, -128, 0, -32768, 0, -8388608, 0, -2147483648, 0, -9223372036854775808, 0,
   -99999999999999.999999, -99999, -1.5, -1.25e300, '', '', x'00000000', x'',
   '', '', x'', x'', '1000-01-01', '1000-01-01 00:00:00', '1970-01-01 00:00:01', '-838:59:59', b'0'),
  (2, 127, 255, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295, 9223372036854775807, 18446744073709551615,
   99999999999999.999999, 99999, 3.5, 1.25e300, 'zzzzzzzzzz', 'the longest string in this table, fifty chars ok.',
   x'ffffffff', x'ffffffffffffffffffffffffffffffff',
   'tiny text', 'a longer text value', x'00ff', x'deadbeef', '9999-12-31', '9999-12-31 23:59:59', '2038-01-19 03:14:07', '838:59:59', b'11111111'),
  (3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'a', 'a', x'61000000', x'61', 'a', 'a', x'61', x'61',
   '2000-02-29', '2000-02-29 12:00:00', '2000-02-29 12:00:00', '00:00:00', b'1'),
  (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (5, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -0.000001, -1, 0.25, 0.1, 'a ', 'a ', x'20202020', x'2020', 'a ', 'a ',
   x'2020', x'20', '2024-02-29', '2024-02-29 23:59:59', '2024-02-29 23:59:59', '-00:00:01', b'10'),
  (6, 42, 42, 4242, 4242, 424242, 424242, 42424242, 42424242, 4242424242424242, 4242424242424242,
   42.420000, 42, 42.5, 42.42, 'Abc', 'ABC', x'41424300', x'414243', 'Abc', 'abc', x'414243', x'616263',
   '2024-06-15', '2024-06-15 08:30:00', '2024-06-15 08:30:00', '08:30:00', b'101010'),
  (7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7.5, 8, 7.75, 7.000001, 'abc', 'abc', x'61626300', x'616263', 'abc', 'ABC',
   x'616263', x'414243', '1999-12-31', '1999-12-31 23:59:59', '1999-12-31 23:59:59', '23:59:59', b'111'),
  (8, -100, 200, -30000, 60000, -8000000, 16000000, -2000000000, 4000000000, -9000000000000000000, 18000000000000000000,
   123456.789012, 12345, -1024, -0.000123, 'héllo', 'ünïcödé ✓', x'c3a90000', x'e29c93', 'naïve', 'straße',
   x'c3a9', x'e29c93', '1970-01-01', '1970-01-01 00:00:00', '1980-05-05 05:05:05', '100:00:00', b'10000000'),
  (9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0.5, 1, NULL, NULL, 'x%y_z', 'x%y_z\\w', x'25000000', x'255f', '%', '_',
   x'25', x'5f', '2024-01-01', '2024-01-01 00:00:00', NULL, '12:00:00', NULL),
  (10, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, -12.34, -12, 2.5, 2.5, 'b', 'b', x'62000000', x'62', 'b', 'b',
   x'62', x'62', '2024-01-02', '2024-01-02 03:04:05', '2024-01-02 03:04:05', '03:04:05', b'1111');

CREATE TABLE lat (
  id INT NOT NULL PRIMARY KEY,
  s VARCHAR(10) CHARACTER SET latin1 COLLATE latin1_bin,
  c CHAR(4) CHARACTER SET latin1 COLLATE latin1_bin,
  KEY s (s)
) {ENGINE};

INSERT INTO lat VALUES (1, 'abc', 'x'), (2, 'café', 'é'), (3, 'ABC', 'y '), (4, NULL, NULL), (5, 'naïve', 'ï'), (6, '', '');
