-- 010_fold.sql -- German search: GET /api/v1/accounts?q= finds "Müller GmbH"
-- for "müller", "Mueller", "muller" and "MÜLLER", and "Straße" for "strasse".
--
-- folio_fold() is the server's copy of the terminal client's model_fold()
-- (tui/model.c): lower case, Latin-1 letters without their accents (æ and ß
-- spelled out), then "ae", "oe" and "ue" as a, o and u, because that is how
-- umlauts are typed on a keyboard without them. A SQL function, so PostgreSQL
-- inlines it into the query.

CREATE FUNCTION folio_fold(s text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN regexp_replace(
    replace(replace(replace(
        translate(lower(s COLLATE "de-x-icu"),
            'àáâãäåçèéêëìíîïñòóôõöøùúûüýÿ',
            'aaaaaaceeeeiiiinooooooouuuuyy'),
        'æ', 'ae'), 'ß', 'ss'), 'ẞ', 'ss'),
    '([aou])e', '\1', 'g');
