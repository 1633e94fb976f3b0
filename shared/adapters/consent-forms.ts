/**
 * Reads the consent form texts from `consent-forms/<version>/<language>.md` (the folder
 * is `REX_CONSENT_FORMS_DIR`, by default `consent-forms` in the working directory: the
 * project root locally, the function bundle in AWS). Read once per process.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  type ConsentFormLibrary,
  type ConsentFormText,
  consentFormLibrary,
} from '#shared/domain/consent/forms.ts';

const VERSION = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;
const LANGUAGE_FILE = /^([a-z]{2})\.md$/;

export function loadConsentForms(dir: string): ConsentFormLibrary {
  const texts: ConsentFormText[] = [];
  if (existsSync(dir)) {
    for (const version of readdirSync(dir, { withFileTypes: true })) {
      if (!version.isDirectory() || !VERSION.test(version.name)) continue;
      for (const file of readdirSync(join(dir, version.name)).sort()) {
        const language = LANGUAGE_FILE.exec(file)?.[1];
        if (!language) continue;
        const bytes = readFileSync(join(dir, version.name, file));
        texts.push({
          version: version.name,
          language,
          sha256: createHash('sha256').update(bytes).digest('hex'),
          text: bytes.toString('utf8'),
        });
      }
    }
  }
  return consentFormLibrary(texts);
}

let cached: ConsentFormLibrary | undefined;

/** The deployment's form texts (`REX_CONSENT_FORMS_DIR` or `./consent-forms`). */
export function deploymentConsentForms(env: NodeJS.ProcessEnv = process.env): ConsentFormLibrary {
  cached ??= loadConsentForms(resolve(env.REX_CONSENT_FORMS_DIR || 'consent-forms'));
  return cached;
}
