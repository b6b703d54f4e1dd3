-- The full-text index without its prefix indexes.
--
-- 0001 created stories_fts with prefix = '2 3'. FTS5 uses a prefix index only for a prefix of exactly
-- that many characters: it made "de*" and "dee*" cheap, never "deeps*" or "nvid*", the prefixes people
-- type, which were always answered from the main index. Keeping the two extra indexes up to date cost
-- about a third of the index's write time (bench/README.md, "Ingest"). Without them, a 2- or 3-letter
-- prefix is answered the way longer ones already were: by merging the entries of every matching term
-- (tens of milliseconds on a million stories for a prefix as common as "op*").
--
-- Same name, columns, external content and tokenizer, so the triggers of 0001 keep working; 'rebuild'
-- reads every story once (about 30 s per million stories, once, at the upgrade).

DROP TABLE stories_fts;

CREATE VIRTUAL TABLE stories_fts USING fts5 (
  title,
  summary,
  content = 'stories',
  content_rowid = 'id',
  tokenize = 'porter unicode61 remove_diacritics 2'
);

INSERT INTO stories_fts (stories_fts) VALUES ('rebuild');
