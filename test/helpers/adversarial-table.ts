/**
 * A table with every MySQL type OpenDental uses (and a few it does not), filled with the values
 * that break naive copies: extremes, -0, subnormals, NUL and Ctrl-Z bytes, quotes, escapes, `\N` and `NULL` strings,
 * emoji, latin1, zero/partial/no dates, TIME beyond ±24 h, blobs with every byte. Insert with
 * `sql_mode = 'NO_AUTO_VALUE_ON_ZERO'` (zero dates and key 0 stored as given) into a `utf8` database.
 */
export const ADVERSARIAL_DDL = `CREATE TABLE adversarial (
  id BIGINT(20) NOT NULL,
  i8 BIGINT(20) NULL, u8 BIGINT(20) UNSIGNED NULL, i4 INT(11) NULL, u4 INT(10) UNSIGNED NULL,
  i2 SMALLINT(6) NULL, u2 SMALLINT(5) UNSIGNED NULL, i1 TINYINT(4) NULL, u1 TINYINT(3) UNSIGNED NULL,
  b1 TINYINT(1) NULL, dbl DOUBLE NULL, flt FLOAT NULL, fltu FLOAT UNSIGNED NULL, dec1 DECIMAL(20,6) NULL,
  vc VARCHAR(255) NULL, ch CHAR(10) NULL, tx TEXT NULL, mt MEDIUMTEXT NULL, lt LONGTEXT NULL,
  latin VARCHAR(100) CHARACTER SET latin1 NULL, emoji VARCHAR(100) CHARACTER SET utf8mb4 NULL,
  d DATE NULL, dt DATETIME NULL, ts TIMESTAMP NULL DEFAULT NULL, tm TIME NULL, yr YEAR NULL,
  bl LONGBLOB NULL, vb VARBINARY(16) NULL, bt BIT(10) NULL, en ENUM('a','b','') NULL, st SET('x','y','z') NULL,
  PRIMARY KEY (id), KEY vc_prefix (vc(10))
) ENGINE=MyISAM DEFAULT CHARSET=utf8`;

export const ADVERSARIAL_ROWS = [
  `(1, -9223372036854775808, 18446744073709551615, -2147483648, 4294967295, -32768, 65535, -128, 255, 2,
    1.7976931348623157e308, 3.4028235e38, 1.17549435e-38, -99999999999999.999999,
    'back\\\\slash\\ttab\\nLF\\rCR', 'ch', 'NUL\\0byte', '\\\\N', 'NULL', 'café Ñandú ß', '😀 dental 🦷',
    '0000-00-00', '0000-00-00 00:00:00', '1970-01-01 00:00:01', '-838:59:59', 1901,
    UNHEX('00FF7F80DEADBEEF0A0D09005C'), UNHEX('00'), b'1111111111', '', 'x,z')`,
  `(2, 9223372036854775807, 0, 2147483647, 0, 32767, 0, 127, 0, 0,
    -0e0, -0e0, 0, 0.000001,
    '', '', '', '', '', '', '',
    '0001-01-01', '0001-01-01 00:00:00', '2038-01-19 03:14:07', '838:59:59', 2155,
    '', '', b'0', 'a', '')`,
  `(3, 0, 1, 0, 1, 0, 1, 0, 1, 1, 5e-324, 1.4e-45, 16777217, 1.5,
    'O''Brien', 'Zoë', 'line1\\r\\nline2', REPEAT('x', 70000), REPEAT('long ', 100000), 'Å', 'Nguyễn',
    '2019-00-00', '2019-02-00 10:00:00', NULL, '00:00:00', 0,
    REPEAT(UNHEX('00'), 1000), UNHEX('5C4E'), b'0101010101', 'b', 'x,y,z')`,
  `(4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
  `(0, 42, 42, 42, 42, 42, 42, 42, 42, 1, 0.1, 0.1, 0.1, 0.1, CONCAT('key', CHAR(26), 'zero'), 'k0', 'x', 'x', 'x', 'x', 'x',
    '2024-02-29', '2024-02-29 23:59:59', '2024-02-29 23:59:59', '-00:00:01', 2024, 'x', 'x', b'1', 'a', 'x')`,
];
