/*
 * newsmine.h - public API of the newsmine text-mining library.
 *
 * This is the only header we install.  Every type is opaque; every function
 * that can fail returns 0 or a negative NM_E* code, and the full message stays
 * on the handle that failed (nm_model_errmsg, nm_pipeline_errmsg, ...).
 * The library has no global mutable state and needs no init call.
 *
 * Typical use:
 *
 *   nm_model *m = NULL;
 *   if (nm_model_load(&m, "models", NULL) < 0) { puts(nm_model_errmsg(m)); ... }
 *   nm_pipeline *p;                      // one per thread
 *   nm_pipeline_new(&p, m, NULL);
 *   const nm_result *r;
 *   nm_pipeline_run(p, text, text_len, &doc_opts, &r);
 *   ... nm_result_span(r, i, &span) / nm_result_json(r, &json, &json_len) ...
 *   nm_pipeline_free(p);
 *   nm_model_free(m);
 *
 * Offsets and lengths are size_t and always count UTF-8 bytes of the text the
 * caller gave; start is inclusive, end exclusive.
 */
#ifndef NEWSMINE_H
#define NEWSMINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The library's public functions: the only symbols libnewsmine.so
 * exports (the rest is built with -fvisibility=hidden). */
#if defined(__GNUC__) && !defined(NM_STATIC_INTERNAL)
#define NM_API __attribute__((visibility("default")))
#else
#define NM_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define NM_VERSION "0.1.0"

/** Error codes: every failing call returns one of these (all negative). */
enum {
    NM_OK = 0,
    NM_ENOMEM = -1,  /**< an allocation failed */
    NM_EINVAL = -2,  /**< bad argument or option */
    NM_EIO = -3,     /**< reading or writing a file failed */
    NM_EPARSE = -4,  /**< malformed input (JSON, model file, date) */
    NM_EUTF8 = -5,   /**< text is not valid UTF-8 */
    NM_ELIMIT = -6,  /**< a size cap was hit */
    NM_EREJECT = -7, /**< a record was rejected (message says why) */
    NM_EOF = -8,     /**< no more records (nm_reader_next only; not an error) */
    NM_EDB = -9      /**< the database refused a statement or went away */
};

/** Is S (N bytes) well-formed UTF-8 (no overlong forms, surrogates or
 *  code points past U+10FFFF)?  Thread-safe. */
NM_API bool nm_utf8_valid(const char *s, size_t n);

/** @return static text for an NM_E* code; never NULL. Thread-safe. */
NM_API const char *nm_strerror(int code);

/** @return the library version string (NM_VERSION of the built library). */
NM_API const char *nm_version(void);

/**
 * Allocation hooks.  Every allocation of the library goes through these, so a
 * caller (or a test) can account for memory or make allocations fail.  NULL
 * means malloc/realloc/free.  The hooks must be thread-safe if the model is
 * shared by threads.
 */
typedef struct nm_allocator {
    void *(*malloc_fn)(size_t size, void *payload);
    void *(*realloc_fn)(void *ptr, size_t size, void *payload);
    void (*free_fn)(void *ptr, void *payload);
    void *payload;
} nm_allocator;

/* ------------------------------------------------------------------ model */

/** A loaded model: all rule files and word lists of a models/ folder. */
typedef struct nm_model nm_model;

typedef struct nm_model_opts {
    const nm_allocator *alloc; /**< NULL: the C library's allocator */
    unsigned flags;            /**< NM_MODEL_* */
} nm_model_opts;

/** Model flags. */
enum {
    /** Do not load the entity tagger's weights (to train new ones): the
     *  entity stage then finds gazetteer names, money and percentages only. */
    NM_MODEL_NO_TAGGER = 1u << 0
};

/**
 * Load every model file listed in DIR/MANIFEST.tsv.
 *
 * @param[out] out  the model.  On failure *out is still set (unless memory
 *                  ran out, then NULL) so that nm_model_errmsg() can say what
 *                  went wrong ("models/text/abbrev.tsv:12: reason"); free it
 *                  with nm_model_free() either way.
 * @param dir       the models folder
 * @param opts      NULL for defaults
 * @return 0 or a negative NM_E* code.
 * After a successful return the model is read-only: any number of threads may
 * share it, each with its own nm_pipeline.
 */
NM_API int nm_model_load(nm_model **out, const char *dir, const nm_model_opts *opts);

/**
 * What was loaded, as SHA-256 digests (64 hex digits): KIND NULL, one
 * digest over every model file (two model folders give the same output
 * when this is the same); a kind from MANIFEST.tsv
 * ("clause-triggers": the clause taxonomy, "ner-weights": the tagger), the
 * first file of that kind.  Owned by the model.  @return NULL if M is not
 * loaded or has no file of KIND.
 */
NM_API const char *nm_model_digest(const nm_model *m, const char *kind);
/** @return the last error message of the model (borrowed), "" if none. */
NM_API const char *nm_model_errmsg(const nm_model *m);

/** Free a model; NULL does nothing.  Free its pipelines first. */
NM_API void nm_model_free(nm_model *m);

/* --------------------------------------------------------------- pipeline */

typedef struct nm_pipeline nm_pipeline;
typedef struct nm_result nm_result;

/** Pipeline flags. */
enum {
    NM_PIPE_DEBUG_TOKENS = 1u << 0, /**< JSON adds "tokens" and "sentences" */
    NM_PIPE_PASSTHROUGH = 1u << 1   /**< JSON keeps the record's other fields */
};

typedef struct nm_pipeline_opts {
    size_t max_text_len; /**< 0: the default, 16 MiB; longer texts: NM_ELIMIT */
    unsigned flags;      /**< NM_PIPE_* */
    const char *until;   /**< NULL, or the name of the last stage to run
                              ("normalize", "sentences", "temporal"...); the
                              output stage always runs.  For measuring. */
} nm_pipeline_opts;

/**
 * Create a pipeline: the per-thread state (stemmer, scratch buffers, caches)
 * for running the stages of model M over documents.
 * @param[out] out the pipeline, or NULL on failure
 * @return 0 or a negative NM_E* code.  Not thread-safe: one per thread.
 */
NM_API int nm_pipeline_new(nm_pipeline **out, const nm_model *m,
                    const nm_pipeline_opts *opts);

/** @return the last error message of the pipeline (borrowed), "" if none. */
NM_API const char *nm_pipeline_errmsg(const nm_pipeline *p);

/** Free a pipeline; NULL does nothing. */
NM_API void nm_pipeline_free(nm_pipeline *p);

/** Per-document metadata; every field may be NULL. */
typedef struct nm_doc_opts {
    const char *id;     /**< record id, copied into the output */
    const char *dct;    /**< document creation time, YYYY-MM-DD */
    const char *source; /**< where the record came from */
    const char *extra_json;  /**< other fields as a JSON object, kept in the
                                  output with NM_PIPE_PASSTHROUGH; may be NULL */
    size_t extra_json_len;
    unsigned flags;          /**< NM_DOC_* */
} nm_doc_opts;

/** Document flags. */
enum {
    /** The caller has already checked that the text is valid UTF-8 (as a
     *  JSON parser does); the clean stage skips its own check.  Passing
     *  invalid UTF-8 with this flag is undefined behaviour. */
    NM_DOC_UTF8_CHECKED = 1u << 0
};

/**
 * Run every stage over one document.  TEXT is not modified and not copied:
 * it must stay valid until the next run or until the pipeline is freed.
 * @param[out] out  the result, borrowed: valid until the next call on P.
 * @return 0, or NM_EUTF8 / NM_ELIMIT / NM_EINVAL / NM_ENOMEM with a message
 *         on the pipeline.
 */
NM_API int nm_pipeline_run(nm_pipeline *p, const char *text, size_t text_len,
                    const nm_doc_opts *opts, const nm_result **out);

/** One span: a typed stretch of the document text. */
typedef struct nm_span {
    size_t start, end;  /**< byte offsets into the document text */
    const char *type;   /**< "ORG", "DATE", "CLAUSE:ROFR", ... */
    const char *value;  /**< TIMEX3 value or canonical id; NULL if none */
} nm_span;

/** One token with its normalised form and stem (both NUL-terminated). */
typedef struct nm_token {
    size_t start, end;
    const char *norm; /**< NFKC + case fold + quotes/dashes folded */
    const char *stem; /**< Snowball English stem of norm ("" if not a word) */
    int kind;         /**< NM_TOK_* */
} nm_token;

enum {
    NM_TOK_WORD = 1,
    NM_TOK_NUMBER,
    NM_TOK_PUNCT,
    NM_TOK_SYMBOL,
    NM_TOK_URL,
    NM_TOK_EMAIL,
    NM_TOK_HASHTAG,
    NM_TOK_MENTION
};

/** @return the name of a token kind ("WORD", ...), "?" if unknown. */
NM_API const char *nm_token_kind_name(int kind);

/** How many spans, tokens and sentences a result holds.  A result belongs to
 *  its pipeline: valid until the pipeline's next run or its free. */
NM_API size_t nm_result_n_spans(const nm_result *r);
NM_API size_t nm_result_n_tokens(const nm_result *r);
NM_API size_t nm_result_n_sentences(const nm_result *r);

/** Fill *out with span I.  @return 0 or NM_EINVAL when I is out of range. */
NM_API int nm_result_span(const nm_result *r, size_t i, nm_span *out);
/** Fill *out with token I.  The first call on a result works out the stems
 *  of all its tokens (they are not computed before anything asks), so like
 *  every call on a result it must not race with other calls on the same
 *  pipeline.  @return 0, NM_EINVAL, or NM_ENOMEM. */
NM_API int nm_result_token(const nm_result *r, size_t i, nm_token *out);
/** Fill start and end with sentence I's byte range.  @return 0 or NM_EINVAL. */
NM_API int nm_result_sentence(const nm_result *r, size_t i, size_t *start,
                       size_t *end);

/**
 * The record as one line of JSON (no trailing newline), in the record format
 * of DESIGN.md section 3.  @param[out] out borrowed, valid until the next run.
 */
NM_API int nm_result_json(const nm_result *r, const char **out, size_t *out_len);

/* --------------------------------------------------------------- training */

typedef struct nm_train_opts {
    int epochs;        /**< passes over the data; <= 0: 10 */
    uint64_t seed;     /**< of the document order; 0: a fixed default */
    int min_count;     /**< features seen fewer times are dropped; <= 0: 2 */
    int quiet;         /**< no progress lines on stderr */
} nm_train_opts;

/**
 * Train the entity tagger (an averaged perceptron over BILOU tags) on gold
 * JSONL files (PER, ORG, LOC, MISC spans; other types are ignored) and
 * write its weights, gzip'd, to OUT_PATH (through OUT_PATH.tmp and a
 * rename).  M supplies the tokenizer and the gazetteer; load it with
 * NM_MODEL_NO_TAGGER.  Deterministic: the same data and options give the
 * same file.  Not thread-safe with respect to M's other users only in that
 * it allocates a lot (hundreds of MB for CoNLL-2003).
 * @return 0 or a negative NM_E* code with a message in ERRBUF.
 */
NM_API int nm_ner_train(const nm_model *m, const char *const *gold, size_t n_gold,
                 const nm_train_opts *opts, const char *out_path, char *errbuf,
                 size_t errbuf_len);

/* ----------------------------------------------------------------- reader */

/**
 * A reader walks inputs (.txt articles, .jsonl records, directories in sorted
 * order, "-" for standard input; any of them gzip-compressed) and hands out
 * records one by one.  Memory stays bounded: a line or file over the record
 * cap is rejected, not buffered.
 */
typedef struct nm_reader nm_reader;
typedef struct nm_record nm_record;

typedef struct nm_reader_opts {
    size_t max_record_len;   /**< 0: 16 MiB */
    const nm_allocator *alloc;
} nm_reader_opts;

/** A new reader (OPTS may be NULL: defaults).  One thread at a time.
 *  @return 0 or NM_ENOMEM (*OUT NULL). */
NM_API int nm_reader_new(nm_reader **out, const nm_reader_opts *opts);
/** Queue an input path ("-" = standard input).  @return NM_EIO if it cannot
 *  be found (message on the reader). */
NM_API int nm_reader_add(nm_reader *rd, const char *path);
/**
 * Read the next raw record.
 * @param[out] out borrowed, valid until the next call.
 * @return 0; NM_EOF at the end; NM_ELIMIT or NM_EIO for a record that could
 *         not be read (message on the reader names FILE:LINE; the reader has
 *         already skipped past it, so call again to go on).
 */
NM_API int nm_reader_next(nm_reader *rd, const nm_record **out);
/** The last error's message, owned by the reader ("out of memory" for NULL). */
NM_API const char *nm_reader_errmsg(const nm_reader *rd);
/** Close every input and free RD; NULL-safe. */
NM_API void nm_reader_free(nm_reader *rd);

/** Where a record came from: file name ("<stdin>" for -) and 1-based line. */
NM_API const char *nm_record_file(const nm_record *rec);
NM_API long nm_record_line(const nm_record *rec);
/** The raw bytes of the record (a JSONL line, or a whole .txt file). */
NM_API const char *nm_record_raw(const nm_record *rec, size_t *len_out);
/** In a batch's on_emit: the document's id, as in its output record (for a
 *  record without one, "FILE:LINE"); NULL elsewhere. */
NM_API const char *nm_record_id(const nm_record *rec);
/** In a batch's on_emit with NM_BATCH_SHA256: the 32 bytes of the SHA-256
 *  of the document's text (what a store keys a version of it by); NULL
 *  elsewhere. */
NM_API const unsigned char *nm_record_sha256(const nm_record *rec);

/**
 * The shard (1..N) that a document id belongs to: the first 8 bytes of the
 * SHA-256 of the id's bytes, big-endian, modulo N, plus 1.  The same id
 * always lands in the same shard, so N processes with --shard K/N cover an
 * input exactly once between them, in any order.  N <= 1: 1.
 */
NM_API unsigned nm_shard_of(const char *id, size_t len, unsigned n);

/* ------------------------------------------------------------------ batch */

/** Counters of a batch run. */
typedef struct nm_batch_stats {
    uint64_t n_records;  /**< records read (of this shard) */
    uint64_t n_ok;       /**< records emitted */
    uint64_t n_rejected; /**< records rejected (reported through on_reject) */
    uint64_t n_bytes;    /**< bytes of document text processed */
} nm_batch_stats;

/** Called in input order for each record that went through. */
typedef int (*nm_emit_fn)(const nm_record *rec, const char *json,
                          size_t json_len, void *payload);
/** Called in input order for each rejected record; MESSAGE is
 *  "FILE:LINE: reason".  REC's raw bytes are what was read (may be empty). */
typedef int (*nm_reject_fn)(const nm_record *rec, const char *message,
                            void *payload);

/** nm_batch_opts.flags: hash each document's text (nm_record_sha256). */
#define NM_BATCH_SHA256 (1u << 0)

typedef struct nm_batch_opts {
    int n_threads;             /**< worker threads; <= 0: 1 */
    unsigned shard_k, shard_n; /**< keep the records whose id is in shard k
                                    of n (nm_shard_of; a record that cannot
                                    be parsed goes by "FILE:LINE"); 0/0: keep
                                    everything */
    const char *default_dct;   /**< dct for records that carry none */
    nm_pipeline_opts pipe;     /**< options of every worker's pipeline */
    nm_emit_fn on_emit;
    nm_reject_fn on_reject;
    void *payload;
    unsigned flags;            /**< NM_BATCH_* */
} nm_batch_opts;

/**
 * Read every record of RD, run the pipeline over it on N worker threads, and
 * hand the results to on_emit in input order.  A record that cannot be read
 * or parsed is passed to on_reject and the batch goes on.  A callback that
 * returns non-zero stops the batch, and that value is returned.
 * @param[out] stats counters (may be NULL)
 * @param errbuf     receives a fatal error's message (may be NULL)
 * @return 0, a callback's non-zero value, or a negative NM_E* code for a
 *         fatal error (a worker could not be created, out of memory).
 */
NM_API int nm_batch_run(const nm_model *m, nm_reader *rd, const nm_batch_opts *opts,
                 nm_batch_stats *stats, char *errbuf, size_t errbuf_len);

/* ------------------------------------------------------------------ store */

/**
 * A store loads output records into a database (docs/storage.md has the
 * schema and example queries):
 *   "sqlite:PATH"              an SQLite file (created if need be; WAL mode)
 *   "postgresql://..." or "postgres://..."   PostgreSQL through libpq, by
 *                              COPY into a staging table (libpq's URI form:
 *                              postgresql:///DB?host=/socket/dir works)
 * A document is keyed by its id and the SHA-256 of its text: the same
 * document again changes nothing, a changed text replaces the old rows.
 * Records are written in large transactions; a document is stored once
 * its transaction commits (nm_store_flush, or every opts.batch_docs
 * documents), so a process killed part-way loses only the uncommitted
 * batch, and a run started again over the same input completes the job
 * without a duplicate.  One store per thread; a store is not thread-safe.
 */
typedef struct nm_store nm_store;

typedef struct nm_store_opts {
    size_t batch_docs;  /**< commit every N documents; 0: 2000 */
    size_t batch_bytes; /**< or every N bytes of records; 0: 32 MiB */
} nm_store_opts;

typedef struct nm_store_stats {
    uint64_t n_new;      /**< documents stored for the first time */
    uint64_t n_same;     /**< documents already there with the same text */
    uint64_t n_replaced; /**< documents whose text changed: old rows replaced */
    uint64_t n_spans;    /**< span rows written */
    uint64_t n_commits;  /**< transactions committed */
} nm_store_stats;

/**
 * Open (and if need be create the schema of) the store URL names.
 * @param[out] out a store, or NULL on error
 * @param errbuf   the reason on error ("sqlite:x.db: unable to open ...")
 * @return 0, NM_EINVAL (an unknown URL), NM_EDB, NM_ENOMEM
 */
NM_API int nm_store_open(nm_store **out, const char *url, const nm_store_opts *opts, char *errbuf,
                  size_t errbuf_len);
/**
 * Queue one output record (JSON, as nm_result_json or a batch's on_emit
 * give it) of document ID whose text has digest SHA256 (32 bytes).  The
 * record reaches the database with the batch it belongs to.
 * @return 0, or NM_EDB / NM_ENOMEM (message: nm_store_errmsg); after an
 *         error the uncommitted batch is lost and the store is closed to
 *         writes.
 */
NM_API int nm_store_put(nm_store *st, const char *id, const unsigned char sha256[32], const char *json,
                 size_t json_len);
/** Commit what is queued.  @return 0, NM_EDB */
NM_API int nm_store_flush(nm_store *st);
/** Commit what is queued and close; ST is freed whatever happens.
 *  @return 0, NM_EDB (message in ERRBUF, which may be NULL) */
NM_API int nm_store_close(nm_store *st, char *errbuf, size_t errbuf_len);
/** The error's message ("STORE: what: why"), owned by the store; it waits
 *  for the store's writer thread to finish what is queued. */
NM_API const char *nm_store_errmsg(const nm_store *st);
/** The counters of what has been committed (waits for the writer). */
NM_API void nm_store_get_stats(const nm_store *st, nm_store_stats *out);

/* ------------------------------------------------------------------- eval */

/**
 * Scoring of system records against gold records (DESIGN.md section 4):
 * per type, exact and overlap precision/recall/F1; for temporal types also
 * type accuracy, value accuracy and value F1 (TempEval-3: attribute F1 =
 * attribute accuracy x relaxed F1, one-to-one alignment of overlapping spans).
 */
typedef struct nm_eval nm_eval;

/** A new, empty scorer; one thread at a time.  @return 0 or NM_ENOMEM. */
NM_API int nm_eval_new(nm_eval **out);
/** Restrict the report to these comma-separated types (NULL: all). A type
 *  ending in '*' is a prefix ("CLAUSE:*"). */
NM_API int nm_eval_set_types(nm_eval *ev, const char *types);
/**
 * Read the gold type GOLD_TYPE as TYPE (NULL: leave such gold spans out):
 * for gold annotated with another scheme (CUAD's "Rofr/Rofo/Rofn" is our
 * "CLAUSE:ROFR").  Applies to gold spans only.  @return 0 or NM_ENOMEM.
 */
NM_API int nm_eval_map_type(nm_eval *ev, const char *gold_type, const char *type);

/**
 * Add one document: GOLD and SYS are JSON records (only "spans" is read).
 * SYS may be NULL (the system produced nothing for this document).
 * @return 0, or NM_EPARSE with a message on the evaluator.
 */
NM_API int nm_eval_add(nm_eval *ev, const char *gold, size_t gold_len,
                const char *sys, size_t sys_len);
/** Report formats. */
enum {
    NM_EVAL_TABLE = 0, /**< aligned columns for people */
    NM_EVAL_JSON = 1,  /**< one JSON object */
    NM_EVAL_TSV = 2    /**< "TYPE<TAB>METRIC<TAB>VALUE" lines, for floors */
};

/**
 * The report in FORMAT (NM_EVAL_*).
 * @param[out] out a NUL-terminated string owned by EV, valid until the next
 *                 call on EV.
 */
NM_API int nm_eval_report(nm_eval *ev, int format, const char **out);
/** The last error's message, owned by the scorer. */
NM_API const char *nm_eval_errmsg(const nm_eval *ev);
/** Free EV and every report it returned; NULL-safe. */
NM_API void nm_eval_free(nm_eval *ev);

#ifdef __cplusplus
}
#endif
#endif /* NEWSMINE_H */
