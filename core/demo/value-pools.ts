import { base, de, en, en_US, es, Faker, fr } from '@faker-js/faker';

/**
 * Pools of realistic text the demo clinic draws from. Built once per seed with faker (seeded,
 * so deterministic); rows then pick from the pools by hash, which is far faster than calling
 * faker per value at clinic scale (20 M rows).
 */
export interface ValuePools {
  firstNames: string[];
  lastNames: string[];
  streets: string[];
  cities: string[];
  states: string[];
  zips: string[];
  phones: string[];
  emailDomains: string[];
  words: string[];
  sentences: string[];
  employers: string[];
}

/** Names a US practice really sees that trip up naive code: quotes, accents, hyphens. */
const TRICKY_LAST_NAMES = [
  "O'Brien",
  'Nguyễn',
  'García-López',
  'Ødegaard',
  "D'Angelo",
  'Müller',
  'Þórsdóttir',
];
const TRICKY_FIRST_NAMES = ['Zoë', 'José', 'Åsa', 'Chloé', 'Renée', 'Sørina', 'Björn'];

export function buildValuePools(seed: number): ValuePools {
  const us = new Faker({ locale: [en_US, en, base] });
  const hispanic = new Faker({ locale: [es, en, base] });
  const european = new Faker({ locale: [fr, de, en, base] });
  us.seed(seed);
  hispanic.seed(seed + 1);
  european.seed(seed + 2);
  const blend = (n: number, make: (f: Faker) => string) => {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(make(i % 10 < 6 ? us : i % 10 < 9 ? hispanic : european));
    return out;
  };
  return {
    firstNames: [...blend(600, (f) => f.person.firstName()), ...TRICKY_FIRST_NAMES],
    lastNames: [...blend(800, (f) => f.person.lastName()), ...TRICKY_LAST_NAMES],
    streets: Array.from({ length: 600 }, () => us.location.streetAddress()),
    cities: Array.from({ length: 150 }, () => us.location.city()),
    states: Array.from({ length: 20 }, () => us.location.state({ abbreviated: true })),
    zips: Array.from({ length: 300 }, () => us.location.zipCode('#####')),
    phones: Array.from({ length: 800 }, () => us.phone.number({ style: 'national' })),
    emailDomains: ['gmail.com', 'yahoo.com', 'outlook.com', 'icloud.com', 'aol.com', 'comcast.net'],
    words: Array.from({ length: 400 }, () => us.word.noun()),
    sentences: [
      ...Array.from({ length: 500 }, () => us.lorem.sentence({ min: 4, max: 14 })),
      'Pt called to confirm.\nLeft voicemail.',
      'Prefers morning appts; tab\tseparated note',
      'Copay collected: $25.00 — receipt emailed',
      'Patient anxious; consider nitrous. Path C:\\Images\\xray',
    ],
    employers: Array.from({ length: 120 }, () => us.company.name()),
  };
}
