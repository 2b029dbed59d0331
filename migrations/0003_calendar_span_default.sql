-- Calendar objects stored before their span was computed get an unbounded
-- span: they stay candidates of every time-range query (the exact
-- evaluator decides), until their next PUT computes the real span. From
-- now on every calendar object has a span, so time-range queries need no
-- "OR span IS NULL" and stay a single GiST index scan.
UPDATE objects SET span = '(,)' WHERE span IS NULL AND component <> 'VCARD';
