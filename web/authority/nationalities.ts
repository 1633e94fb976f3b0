/**
 * Nationalities by name: the accepted codes (shared/domain/consent/nationality.ts) with
 * the names the browser knows in the page's language (Intl.DisplayNames works on the
 * two-letter region code, so each three-letter code carries its two-letter one), and
 * words of our own for the codes residence documents use for people without a settled
 * nationality.
 */
import { NATIONALITY_CODES } from '#shared/domain/consent/nationality.ts';
import type { Language } from '#web/common/i18n.ts';

/** ISO 3166-1 alpha-3 followed by its alpha-2 code (ABWAW = ABW → AW), from the ISO 3166-1 table. */
const ALPHA_3_TO_2: ReadonlyMap<string, string> = new Map(
  `
ABWAW AFGAF AGOAO AIAAI ALAAX ALBAL ANDAD AREAE ARGAR ARMAM ASMAS ATAAQ ATFTF ATGAG AUSAU AUTAT
AZEAZ BDIBI BELBE BENBJ BESBQ BFABF BGDBD BGRBG BHRBH BHSBS BIHBA BLMBL BLRBY BLZBZ BMUBM BOLBO
BRABR BRBBB BRNBN BTNBT BVTBV BWABW CAFCF CANCA CCKCC CHECH CHLCL CHNCN CIVCI CMRCM CODCD COGCG
COKCK COLCO COMKM CPVCV CRICR CUBCU CUWCW CXRCX CYMKY CYPCY CZECZ DEUDE DJIDJ DMADM DNKDK DOMDO
DZADZ ECUEC EGYEG ERIER ESHEH ESPES ESTEE ETHET FINFI FJIFJ FLKFK FRAFR FROFO FSMFM GABGA GBRGB
GEOGE GGYGG GHAGH GIBGI GINGN GLPGP GMBGM GNBGW GNQGQ GRCGR GRDGD GRLGL GTMGT GUFGF GUMGU GUYGY
HKGHK HMDHM HNDHN HRVHR HTIHT HUNHU IDNID IMNIM INDIN IOTIO IRLIE IRNIR IRQIQ ISLIS ISRIL ITAIT
JAMJM JEYJE JORJO JPNJP KAZKZ KENKE KGZKG KHMKH KIRKI KNAKN KORKR KWTKW LAOLA LBNLB LBRLR LBYLY
LCALC LIELI LKALK LSOLS LTULT LUXLU LVALV MACMO MAFMF MARMA MCOMC MDAMD MDGMG MDVMV MEXMX MHLMH
MKDMK MLIML MLTMT MMRMM MNEME MNGMN MNPMP MOZMZ MRTMR MSRMS MTQMQ MUSMU MWIMW MYSMY MYTYT NAMNA
NCLNC NERNE NFKNF NGANG NICNI NIUNU NLDNL NORNO NPLNP NRUNR NZLNZ OMNOM PAKPK PANPA PCNPN PERPE
PHLPH PLWPW PNGPG POLPL PRIPR PRKKP PRTPT PRYPY PSEPS PYFPF QATQA REURE ROURO RUSRU RWARW SAUSA
SDNSD SENSN SGPSG SGSGS SHNSH SJMSJ SLBSB SLESL SLVSV SMRSM SOMSO SPMPM SRBRS SSDSS STPST SURSR
SVKSK SVNSI SWESE SWZSZ SXMSX SYCSC SYRSY TCATC TCDTD TGOTG THATH TJKTJ TKLTK TKMTM TLSTL TONTO
TTOTT TUNTN TURTR TUVTV TWNTW TZATZ UGAUG UKRUA UMIUM URYUY USAUS UZBUZ VATVA VCTVC VENVE VGBVG
VIRVI VNMVN VUTVU WLFWF WSMWS YEMYE ZAFZA ZMBZM ZWEZW`
    .trim()
    .split(/\s+/)
    .map((pair) => [pair.slice(0, 3), pair.slice(3)] as const),
);

/** The document codes (ICAO 9303) and Kosovo, in words. */
const DOCUMENT_CODE_NAMES: Readonly<Record<string, Readonly<Record<Language, string>>>> = {
  XKX: { de: 'Kosovo', en: 'Kosovo' },
  XXA: { de: 'staatenlos', en: 'stateless' },
  XXB: { de: 'Flüchtling nach der Genfer Flüchtlingskonvention', en: 'refugee (1951 Convention)' },
  XXC: { de: 'anderer Flüchtling', en: 'other refugee' },
  XXX: { de: 'ungeklärt', en: 'unsettled' },
};

const LOCALES: Readonly<Record<Language, string>> = { de: 'de-DE', en: 'en-GB' };

/** The name of a nationality code in `lang`; the code itself only if nothing better is known. */
export function nationalityName(lang: Language, code: string): string {
  const own = DOCUMENT_CODE_NAMES[code];
  if (own) return own[lang];
  const region = ALPHA_3_TO_2.get(code);
  if (!region) return code;
  return new Intl.DisplayNames([LOCALES[lang]], { type: 'region', fallback: 'code' }).of(region) ?? code;
}

/** Every accepted nationality as a choice, by name in the page's language order. */
export function nationalityOptions(lang: Language): { value: string; label: string }[] {
  const collator = new Intl.Collator(LOCALES[lang]);
  return NATIONALITY_CODES.map((value) => ({ value, label: nationalityName(lang, value) })).sort((a, b) =>
    collator.compare(a.label, b.label),
  );
}

/** Every code the list holds, for the test that each has a two-letter region or words of its own. */
export function nationalityCodesWithoutName(): string[] {
  return NATIONALITY_CODES.filter((code) => !DOCUMENT_CODE_NAMES[code] && !ALPHA_3_TO_2.has(code));
}
