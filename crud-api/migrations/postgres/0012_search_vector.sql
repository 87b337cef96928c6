-- Search matched and ranked on a vector rebuilt from `search_terms` for every matching row of
-- every query (split, sort, dedupe, ~1,000 rows for a common word like 소파): 13 ms a search
-- under load, the database's largest cost in the shopper load test. Stored once per write
-- instead: 4.7x the searches per second in pgbench over 4,000 rows like the load test's.
ALTER TABLE products ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (array_to_tsvector(string_to_array(search_terms, ' '))) STORED;
CREATE INDEX products_search_vector ON products USING GIN (search_vector);
DROP INDEX products_search;
