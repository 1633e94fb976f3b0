/**
 * Consent form texts (docs/consent.md, "Consent form texts"): the texts a person reads
 * and signs, kept as files in the repository (`consent-forms/<version>/<language>.md`),
 * each file named by the SHA-256 of its bytes. A consent's `evidence.formVersion` may
 * name the exact text as `sha256-<64 hex digits>`; older consents carry a free version
 * label (`2026-03`) and stay valid. Pure.
 */

/** `sha256-<64 lowercase hex>`: a form version that names a text by its digest. */
export const FORM_TEXT_REFERENCE = /^sha256-([0-9a-f]{64})$/;

export interface ConsentFormText {
  /** The version folder, e.g. `2026-12`. */
  readonly version: string;
  /** ISO 639-1 code of the text's language. */
  readonly language: string;
  /** SHA-256 of the file's bytes, lowercase hex. */
  readonly sha256: string;
  /** The text, Markdown. */
  readonly text: string;
}

/** The texts of a deployment, by digest. */
export interface ConsentFormLibrary {
  byDigest(sha256: string): ConsentFormText | undefined;
  all(): readonly ConsentFormText[];
}

/** The digest a form version refers to, or undefined for a version label. */
export function formTextDigest(formVersion: string): string | undefined {
  return FORM_TEXT_REFERENCE.exec(formVersion)?.[1];
}

/** A library over a list of texts (the adapter reads the files). */
export function consentFormLibrary(texts: readonly ConsentFormText[]): ConsentFormLibrary {
  const byDigest = new Map(texts.map((t) => [t.sha256, t]));
  return { byDigest: (sha256) => byDigest.get(sha256), all: () => [...texts] };
}

/**
 * The issue with a consent's evidence against the library, or undefined when it is
 * acceptable: a digest reference must name a text of the library, in the language the
 * evidence gives. A version label is not checked (consents from before the library).
 */
export function formEvidenceIssue(
  evidence: { readonly formVersion: string; readonly language: string },
  library: ConsentFormLibrary,
): { field: string; reason: string } | undefined {
  const digest = formTextDigest(evidence.formVersion);
  if (digest === undefined) return undefined;
  const text = library.byDigest(digest);
  if (!text)
    return { field: 'evidence.formVersion', reason: 'names no consent form text of this deployment' };
  if (text.language !== evidence.language)
    return { field: 'evidence.language', reason: `must be the language of the form text (${text.language})` };
  return undefined;
}
