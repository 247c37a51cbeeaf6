// Templates of the retrieval set (bench/retrieval-set.ts): what a solo operator writes down about clients and about
// the business, and how they later ask for it. Slots in memory texts: {a|b|c} one word of a synonym group of the
// tiny model (all options in one group), {C} the client's full name, {c} full or first word, {P} the client's contact,
// {month} {date} {day} {amount} {num} {inv} {city} {tool} {colour}, {X}/{Y} a random word of two other topic groups.
// Slots in questions: {~a/b/c} one of these synonyms ({~a}: any word of a's group) that is not the memory's word and
// shares no prefix with any word of the memory, {=g} the memory's word of g's group, {?a/b} either (seeded coin); {c} the client as the question names it; other slots
// repeat the memory's value.

export interface Template {
  id: string;
  kind: 'fact' | 'preference' | 'contact' | 'content' | 'decision' | 'note';
  /** Templates of one topic (several invoices, several meetings per client) are each other's distractors. */
  topic: string;
  text: string;
  /** Paraphrase questions. */
  ask?: string[];
  /** Name + attribute: a group word (the memory's word of that group is used) or a literal word of the text. */
  attr?: string;
  /** Exact-detail questions (numbers, names, places). */
  detail?: string[];
  /** Distractor questions: the topic plus what tells this memory from the client's others of the topic. */
  tell?: string[];
}

const single = (
  id: string,
  kind: Template['kind'],
  text: string,
  more: Omit<Template, 'id' | 'kind' | 'text' | 'topic'>,
): Template => ({ id, kind, topic: id, text, ...more });

export const SINGLE: readonly Template[] = [
  single(
    'budget',
    'fact',
    '{C}: {budget|funding|spend} for the {month} {campaign|promotion|ads} is capped at {amount}',
    {
      ask: ['how much {~budget/spend/funding/funds} can {c} put into {~ads/marketing/advertising/promotions}?'],
      attr: 'budget',
      detail: ['what is capped at {amount}?'],
    },
  ),
  single('rate', 'fact', '{C}: hourly {rate|fee|price} is {amount} for {code|software|app} work', {
    ask: ['what {~rate/fee/price} do we charge {c} for {~code/software/app/apps}?'],
    attr: 'rate',
    detail: ['which client is on {amount} an hour?'],
  }),
  single('deadline', 'fact', '{c} {website|site|homepage} launch {deadline|cutoff} is {month} {date}', {
    ask: ['when is the {c} {~website/site/homepage} {~due/deadline/cutoff}?'],
    attr: 'deadline',
  }),
  single(
    'contract',
    'fact',
    '{C}: {contract|agreement} renews every {month}, {cancellation|cancel} needs {num} days notice',
    {
      ask: ['when does the {c} {~contract/agreement} end?'],
      attr: 'contract',
    },
  ),
  single(
    'channel',
    'preference',
    '{C} prefers {email|emails|mail} over {phone|mobile}, no {calls|meetings} before noon',
    {
      ask: ['should I {~phone/text/sms/whatsapp} or {~email/mail/message} {c}?'],
      attr: 'email',
    },
  ),
  single('contact', 'contact', '{P} is our main {client|account} contact at {C}', {
    attr: 'contact',
    detail: ['who is {P}?', '{P}'],
  }),
  single('terms', 'preference', '{C}: {payment|payments} usually arrive {num} days past the {deadline|cutoff}', {
    ask: ['is {c} always {~late/overdue} when {~paying}?'],
    attr: 'payment',
  }),
  single(
    'feedback',
    'fact',
    '{C} {review|feedback}: loved the {logo|mockup|branding}, wants a bolder {homepage|landing}',
    {
      ask: ['what {~feedback/review/reviews} did {c} give on the {~logo/mockup/design/branding}?'],
      attr: 'feedback',
    },
  ),
  single('support', 'fact', '{C} opened {num} {tickets|issues} about {login|password} {bugs|bug}', {
    ask: ['any {~tickets/issues/questions} from {c} about {~login/password/passwords/security}?'],
    attr: 'tickets',
  }),
  single('vat', 'preference', '{C} needs the {vat|tax} number on every {invoice|bill}', {
    ask: ['what {~tax/vat} detail does {c} want on each {~invoice/bill/receipt}?'],
    attr: 'vat',
  }),
  single('social', 'preference', '{C} wants {num} {linkedin|instagram} {posts|articles} a week', {
    ask: ['how much {~content/copy/posts/articles} does {c} expect on {~twitter/linkedin/instagram}?'],
    attr: 'linkedin',
  }),
  single('seo', 'fact', '{c} {site|website} {traffic|ranking} fell {num} percent after the {release|features}', {
    ask: ['did the {~release/features} hurt {c} {~search/traffic/ranking/seo}?'],
    attr: 'traffic',
  }),
  single(
    'brand',
    'preference',
    '{C} {brand|branding} colours are {colour} and {colour}, {files|documents} in the shared folder',
    {
      ask: ['which colors does {c} use for the {~brand/branding/logo/design}?'],
      attr: 'colours',
    },
  ),
  single('travel', 'fact', '{C}: {conference|trip} in {city} on {month} {date}', {
    ask: ['where is the {c} {~trip/conference/flight/travel}?'],
    attr: 'trip',
    detail: ['who is going to {city}?', '{city} {=trip}'],
  }),
  single(
    'proposal',
    'fact',
    'Sent {C} the {proposal|estimate|offer} for {amount} for the {month} {project|engagement}',
    {
      ask: ['what {~proposal/offer/estimate/pitch} did {c} get from me?'],
      attr: 'proposal',
      detail: ['who got the {amount} {=proposal}?'],
    },
  ),
  single('discount', 'fact', '{C} asked for a {num} percent {discount|deal} on the {subscription|service}', {
    ask: ['did {c} want a {~discount/deal/coupon}?'],
    attr: 'discount',
  }),
  single('shipping', 'fact', '{C} {orders|deliveries} go out from the {supplier|vendor} every {day}', {
    ask: ['which day do {c} {~orders/deliveries/shipping} leave the {~supplier/vendor/suppliers}?'],
    attr: 'orders',
  }),
  single('legal', 'fact', '{C} requires a signed {gdpr|privacy} {document|file} before launch', {
    ask: ['what {~privacy/gdpr/legal/compliance} paperwork does {c} need?'],
    attr: 'gdpr',
  }),
  single('hire', 'fact', '{C} {project|job} needs a {freelancer|contractor} for {video|podcast} editing', {
    ask: ['who should I {~hire} for the {c} {~video/podcast/videos}?'],
    attr: 'freelancer',
  }),
  single('training', 'fact', '{C} booked a {workshop|training} for their {team} in {month}', {
    ask: ['what {~workshop/training/course/coaching} is planned with {c}?'],
    attr: 'workshop',
  }),
  single('goal', 'fact', '{C} {goal|plan}: double {revenue|sales} by {month}', {
    ask: ['what {~revenue/sales/income} {~goal/plan/goals/vision} does {c} have?'],
    attr: 'goal',
  }),
  single('refund', 'fact', '{C} got a {refund} of {amount} for the {month} {order}', {
    ask: ['did {c} get a {~refund/chargeback} on their {~order/delivery/shipment}?'],
    attr: 'refund',
    detail: ['who got {amount} back?'],
  }),
  single('tools', 'preference', '{C} shares {files|documents} on {tool}, {passwords|credentials} in the vault', {
    ask: ['where does {c} keep its {~files/documents/pdf/spreadsheet}?'],
    attr: 'files',
  }),
  single('report', 'preference', '{C} wants a monthly {report|summary} with {traffic|ranking} and {sales|revenue}', {
    ask: ['what goes into the {~report/summary/dashboard} for {c}?'],
    attr: 'report',
  }),
];

export const INVOICE: readonly Template[] = [
  {
    id: 'invoice-paid',
    kind: 'fact',
    topic: 'invoice',
    text: '{C}: {invoice|bill} {inv} for {amount} was {paid} by {bank|card|stripe|paypal}',
    tell: ['{c} {?invoice/bill} {?paid/payment}?'],
    detail: ['{=invoice} {inv}', 'who is {=invoice} {inv} for?'],
  },
  {
    id: 'invoice-overdue',
    kind: 'fact',
    topic: 'invoice',
    text: '{C}: the {month} {invoice|bill} is {overdue|late}, {reminder|nudge} sent {day}',
    tell: ['is the {c} {?invoice/bill} {?overdue/late}?', '{c} {?invoice/bill} {?reminder/nudge/followup}'],
  },
  {
    id: 'invoice-sent',
    kind: 'fact',
    topic: 'invoice',
    text: '{C}: {invoice|bill} {inv} for the {month} {project|job} went out by {email|mail}',
    tell: ['which {?invoice/bill} went to {c} by {?email/mail}?', '{c} {?invoice/bill} for the {?project/job}'],
    detail: ['status of {=invoice} {inv}'],
  },
];

export const MEETING: readonly Template[] = [
  {
    id: 'meeting-weekly',
    kind: 'fact',
    topic: 'meeting',
    text: 'Weekly {sync|call|standup} with {P} from {C} every {day} {morning|afternoon}',
    tell: ['{c} weekly {?sync/call/standup/meeting}', '{c} {?sync/call/standup} every {day}'],
  },
  {
    id: 'meeting-kickoff',
    kind: 'fact',
    topic: 'meeting',
    text: '{C} kickoff {meeting|call} for the {project|engagement} {plan|roadmap} on {month} {date}',
    tell: ['{c} kickoff {?meeting/call}', '{c} {?meeting/call} about the {?roadmap/plan}'],
  },
  {
    id: 'meeting-review',
    kind: 'fact',
    topic: 'meeting',
    text: '{C} quarterly {review|feedback} {call|meeting}: they want more {reports|dashboard|metrics}',
    tell: ['{c} quarterly {?review/feedback}', 'what did {c} ask for in the {?review/feedback} {?call/meeting}?'],
  },
];

const general = (
  id: string,
  kind: Template['kind'],
  text: string,
  more: Omit<Template, 'id' | 'kind' | 'text' | 'topic'> = {},
): Template => ({ id, kind, topic: id, text, ...more });

/** The business's own notes (no client): the unnamed paraphrase questions come from these. */
export const GENERAL: readonly Template[] = [
  general('idea', 'content', 'Idea for a {blog|post|draft}: {X} and {Y}, with real numbers', {
    ask: ['any {~blog/article/post} thoughts on {~X} and {~Y}?'],
  }),
  general('rule', 'decision', 'Rule: no {X} without {Y} first', { ask: ['what did I decide about {~X} and {~Y}?'] }),
  general('receipts', 'note', '{accountant|bookkeeping} note: keep {receipts|bills} for {X} until {month}', {
    ask: ['what does the {~accountant/bookkeeping/accounting} want kept for {~X}?'],
  }),
  general('plan', 'decision', '{goal|plan} for {month}: {scale|expand} {X} and drop {Y}', {
    ask: ['what is my {~goal/plan/roadmap} to {~scale/expand} {~X}?'],
  }),
  general('stack', 'note', 'Tool stack: {tool} for {X}, {tool} for {Y}', { ask: ['what do I use for {~X} and {~Y}?'] }),
  general('learning', 'note', 'Booked a {course|workshop} on {X} in {city} for {month}', {
    ask: ['which {~course/workshop/training} about {~X} is coming up?'],
    detail: ['{city} {=course}'],
  }),
  general('forum', 'note', 'Asked in the {forum|community} about {X} for {Y}', {
    ask: ['what did I raise in the {~forum/community/group} on {~X}?'],
  }),
  general('personal', 'note', 'Personal: {gym|workout} {day} {morning|evening}, no {calls|meetings} before noon'),
  general('prices', 'decision', 'Raise {rate|prices} for {X} work in {month}', {
    ask: ['when do my {~rate/rates/prices/fees} for {~X} go up?'],
  }),
];

/** Groups {X} and {Y} draw from (topics a solo business writes about), with the words that read naturally there. */
export const TOPIC_WORDS: Readonly<Record<string, readonly string[]>> = {
  budget: ['budget', 'spending', 'costs', 'expenses'],
  invoice: ['invoices', 'billing', 'receipts'],
  price: ['pricing', 'rates', 'fees', 'quotes'],
  marketing: ['marketing', 'ads', 'campaigns', 'advertising'],
  social: ['social', 'linkedin', 'instagram', 'followers'],
  website: ['website', 'homepage', 'landing', 'domain'],
  design: ['design', 'branding', 'logo', 'mockups'],
  code: ['software', 'app', 'bugs', 'features'],
  report: ['reports', 'analytics', 'dashboard', 'metrics'],
  tax: ['taxes', 'vat', 'bookkeeping', 'accounting'],
  bank: ['banking', 'stripe', 'paypal'],
  lead: ['leads', 'prospects', 'pipeline', 'outreach'],
  proposal: ['proposals', 'pitches', 'estimates', 'offers'],
  hire: ['hiring', 'freelancers', 'contractors', 'assistant'],
  travel: ['travel', 'flights', 'hotel', 'conference'],
  product: ['products', 'services', 'subscriptions', 'offering'],
  feedback: ['feedback', 'reviews', 'testimonials', 'complaints'],
  support: ['support', 'tickets', 'questions', 'help'],
  refund: ['refunds', 'chargeback', 'cancellation'],
  discount: ['discounts', 'coupons', 'deals'],
  team: ['team', 'partners', 'colleagues'],
  video: ['videos', 'podcast', 'webinar', 'episodes'],
  seo: ['seo', 'keywords', 'ranking', 'traffic'],
  legal: ['legal', 'compliance', 'gdpr', 'privacy'],
  insurance: ['insurance', 'liability', 'coverage'],
  shipping: ['shipping', 'delivery', 'orders'],
  inventory: ['inventory', 'stock', 'suppliers', 'vendors'],
  salary: ['salary', 'payroll', 'wages'],
  loan: ['loans', 'credit', 'debt'],
  investor: ['investors', 'equity', 'investment'],
  course: ['courses', 'workshops', 'coaching', 'training'],
  community: ['community', 'forum', 'discord', 'slack'],
  password: ['passwords', 'security', 'credentials', 'login'],
  hours: ['timesheets', 'tracking', 'hours'],
  email: ['email', 'newsletter', 'inbox'],
  contract: ['contracts', 'agreements', 'nda', 'terms'],
};

export const SYLLABLES = [
  'kor',
  'vel',
  'zan',
  'tri',
  'mo',
  'bel',
  'dra',
  'quin',
  'sol',
  'vex',
  'lum',
  'ora',
  'fen',
  'tas',
  'rik',
  'nol',
  'bra',
  'zu',
  'pel',
  'cav',
  'dor',
  'yth',
  'xa',
  'gri',
  'hal',
  'mir',
  'tov',
  'esk',
  'ilo',
  'jar',
  'wen',
  'kel',
  'ruv',
  'sim',
  'fra',
  'gol',
];
export const NAME_SUFFIXES = [
  'Bakery',
  'Studio',
  'Labs',
  'Dental',
  'Florist',
  'Logistics',
  'Robotics',
  'Yoga',
  'Architects',
  'Kitchen',
  'Outfitters',
  'Motors',
  'Gallery',
  'Clinic',
  'Brewing',
  'Farms',
  'Optics',
  'Ceramics',
  'Cycles',
  'Pottery',
];
export const FIRST_NAMES = [
  'Marisol',
  'Tobias',
  'Ingrid',
  'Kwame',
  'Leila',
  'Dmitri',
  'Priya',
  'Mateo',
  'Signe',
  'Farid',
  'Noor',
  'Hugo',
  'Aiko',
  'Bram',
  'Chiara',
  'Emeka',
  'Freya',
  'Goran',
  'Hana',
  'Ilse',
  'Joaquin',
  'Katya',
  'Lorenzo',
  'Mireille',
  'Nadia',
  'Oskar',
  'Paloma',
  'Quentin',
  'Rosalind',
  'Soren',
];
export const LAST_NAMES = [
  'Okafor',
  'Lindqvist',
  'Moreau',
  'Nakamura',
  'Brennan',
  'Castellano',
  'Dvorak',
  'Eriksen',
  'Fonseca',
  'Gallagher',
  'Haddad',
  'Iversen',
  'Jablonski',
  'Kowalczyk',
  'Laurent',
  'Mbeki',
  'Novak',
  'Oyelaran',
  'Petrov',
  'Quiroga',
  'Rahman',
  'Sato',
  'Tanaka',
  'Ulloa',
  'Vasquez',
  'Whitford',
  'Yilmaz',
  'Zeller',
  'Abernathy',
  'Bergstrom',
];
export const CITIES = [
  'Lisbon',
  'Porto',
  'Oslo',
  'Bergen',
  'Krakow',
  'Tallinn',
  'Riga',
  'Vilnius',
  'Ghent',
  'Utrecht',
  'Lyon',
  'Nantes',
  'Bilbao',
  'Seville',
  'Valencia',
  'Turin',
  'Bologna',
  'Graz',
  'Salzburg',
  'Zurich',
  'Geneva',
  'Aarhus',
  'Malmo',
  'Tampere',
  'Cork',
  'Galway',
  'Leeds',
  'Bristol',
  'Glasgow',
  'Dublin',
  'Austin',
  'Denver',
  'Portland',
  'Toronto',
  'Montreal',
  'Halifax',
  'Seoul',
  'Osaka',
  'Perth',
  'Adelaide',
];
export const TOOLS = [
  'Notion',
  'Figma',
  'Trello',
  'Airtable',
  'Dropbox',
  'Basecamp',
  'Asana',
  'Canva',
  'Calendly',
  'Webflow',
  'Shopify',
  'Xero',
  'Harvest',
  'Loom',
  'Miro',
  'Zapier',
  'Typeform',
  'Mailchimp',
  'Gumroad',
  'Todoist',
];
export const COLOURS = [
  'navy',
  'gold',
  'teal',
  'coral',
  'olive',
  'crimson',
  'ivory',
  'mint',
  'plum',
  'amber',
  'slate',
  'sand',
];
