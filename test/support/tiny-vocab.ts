// The vocabulary of the generated test model (tiny-model.ts): business words a solo operator writes about, grouped
// into synonym groups. Words of one group share one embedding row, so texts written with these words have a known
// meaning to the model: "budget" is near "spend" and "funding", far from "meeting". Tests and the retrieval
// benchmark write their texts from these lists; a word outside them is spelled out in letter pieces (weak signal).

/** Each inner list is one meaning. No word appears twice. */
export const SYNONYM_GROUPS: readonly (readonly string[])[] = [
  ['budget', 'budgets', 'spend', 'spending', 'funding', 'funds', 'expense', 'expenses', 'cost', 'costs'],
  ['invoice', 'invoices', 'bill', 'bills', 'billing', 'receipt', 'receipts'],
  ['payment', 'payments', 'paid', 'pay', 'paying', 'payout', 'transfer'],
  ['revenue', 'income', 'earnings', 'sales', 'profit', 'profits', 'turnover'],
  ['price', 'prices', 'pricing', 'rate', 'rates', 'fee', 'fees', 'quote', 'quotes'],
  ['client', 'clients', 'customer', 'customers', 'buyer', 'buyers', 'account', 'accounts'],
  ['deadline', 'deadlines', 'due', 'overdue', 'late', 'cutoff'],
  ['meeting', 'meetings', 'call', 'calls', 'appointment', 'appointments', 'sync', 'standup'],
  ['schedule', 'calendar', 'agenda', 'booking', 'bookings', 'slot', 'slots'],
  ['email', 'emails', 'mail', 'inbox', 'message', 'messages', 'newsletter'],
  ['contract', 'contracts', 'agreement', 'agreements', 'terms', 'nda', 'signature', 'sign', 'signed'],
  ['project', 'projects', 'initiative', 'engagement', 'engagements', 'job', 'jobs'],
  ['task', 'tasks', 'todo', 'todos', 'chore', 'chores', 'action', 'actions'],
  ['marketing', 'campaign', 'campaigns', 'promotion', 'promotions', 'advertising', 'ads', 'ad'],
  ['content', 'article', 'articles', 'blog', 'post', 'posts', 'copy', 'draft', 'drafts'],
  ['social', 'twitter', 'linkedin', 'instagram', 'followers', 'audience'],
  ['website', 'site', 'homepage', 'landing', 'page', 'pages', 'domain'],
  ['design', 'designs', 'logo', 'mockup', 'mockups', 'branding', 'brand'],
  ['code', 'software', 'app', 'apps', 'bug', 'bugs', 'feature', 'features', 'release'],
  ['report', 'reports', 'summary', 'summaries', 'analytics', 'metrics', 'dashboard'],
  ['tax', 'taxes', 'vat', 'irs', 'accountant', 'accounting', 'bookkeeping'],
  ['bank', 'banking', 'stripe', 'paypal', 'card'],
  ['lead', 'leads', 'prospect', 'prospects', 'pipeline', 'outreach'],
  ['proposal', 'proposals', 'pitch', 'pitches', 'offer', 'offers', 'estimate', 'estimates'],
  ['hire', 'hiring', 'freelancer', 'freelancers', 'contractor', 'contractors', 'assistant'],
  ['travel', 'trip', 'trips', 'flight', 'flights', 'hotel', 'conference'],
  ['product', 'products', 'service', 'services', 'offering', 'subscription', 'subscriptions'],
  ['feedback', 'review', 'reviews', 'testimonial', 'testimonials', 'complaint', 'complaints'],
  ['support', 'help', 'ticket', 'tickets', 'issue', 'issues', 'question', 'questions'],
  ['refund', 'refunds', 'chargeback', 'cancel', 'cancellation'],
  ['discount', 'discounts', 'coupon', 'coupons', 'deal', 'deals'],
  ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'weekend', 'week', 'weeks'],
  ['january', 'february', 'march', 'april', 'june', 'july', 'august', 'september', 'october', 'november', 'december'],
  ['today', 'tomorrow', 'tonight', 'yesterday', 'morning', 'afternoon', 'evening'],
  ['urgent', 'asap', 'important', 'priority', 'critical'],
  ['reminder', 'reminders', 'remind', 'followup', 'nudge'],
  ['strategy', 'plan', 'plans', 'roadmap', 'goal', 'goals', 'vision'],
  ['team', 'partner', 'partners', 'colleague', 'colleagues', 'collaborator'],
  ['document', 'documents', 'file', 'files', 'pdf', 'spreadsheet', 'sheet'],
  ['video', 'videos', 'podcast', 'episode', 'episodes', 'webinar'],
  ['seo', 'keywords', 'ranking', 'search', 'traffic'],
  ['health', 'gym', 'workout', 'exercise', 'sleep'],
  ['family', 'kids', 'birthday', 'vacation', 'holiday'],
  ['lunch', 'dinner', 'coffee', 'breakfast', 'restaurant'],
  ['legal', 'lawyer', 'attorney', 'compliance', 'gdpr', 'privacy'],
  ['insurance', 'policy', 'liability', 'coverage'],
  ['shipping', 'delivery', 'deliveries', 'shipment', 'order', 'orders'],
  ['inventory', 'stock', 'supplies', 'supplier', 'suppliers', 'vendor', 'vendors'],
  ['hours', 'timesheet', 'timesheets', 'tracking', 'logged'],
  ['salary', 'payroll', 'wages', 'compensation'],
  ['loan', 'loans', 'credit', 'debt', 'mortgage'],
  ['investor', 'investors', 'investment', 'investments', 'equity', 'shares'],
  ['growth', 'scale', 'scaling', 'expand', 'expansion'],
  ['course', 'courses', 'workshop', 'workshops', 'training', 'coaching', 'lesson', 'lessons'],
  ['community', 'forum', 'group', 'groups', 'slack', 'discord'],
  ['phone', 'mobile', 'sms', 'text', 'whatsapp'],
  ['password', 'passwords', 'login', 'security', 'credentials'],
];

/** Function words: known to the tokenizer (no [UNK]) but carrying almost no meaning (small embedding rows). */
export const STOPWORDS: readonly string[] = [
  'the', 'a', 'an', 'and', 'or', 'but', 'to', 'of', 'for', 'in', 'on', 'at', 'by', 'with', 'from', 'about', 'as',
  'is', 'are', 'was', 'were', 'be', 'been', 'it', 'its', 'this', 'that', 'these', 'those', 'i', 'me', 'my', 'we',
  'our', 'you', 'your', 'he', 'she', 'they', 'them', 'their', 'his', 'her', 'what', 'which', 'who', 'when', 'where',
  'why', 'how', 'not', 'no', 'yes', 'do', 'does', 'did', 'done', 'have', 'has', 'had', 'will', 'would', 'can',
  'could', 'should', 'please', 'need', 'needs', 'get', 'got', 'send', 'sent', 'make', 'made', 'new', 'next', 'last',
  'all', 'any', 'some', 'more', 'most', 'than', 'then', 'there', 'here', 'up', 'out', 'into', 'over', 'just', 'also',
  'very', 'so', 'if', 'let', 'us', 'check', 'before', 'after', 'again', 'still', 'only', 'one', 'two',
];

/** Punctuation the BERT pre-tokenizer splits off; known, near-zero meaning. */
export const PUNCTUATION: readonly string[] = ['.', ',', '!', '?', "'", '"', ':', ';', '-', '(', ')', '/', '&', '$', '%', '#', '@'];

/** Letter and digit pieces: a word outside the vocabulary is spelled out as `a ##c ##m ##e` instead of [UNK]. */
export const LETTERS: readonly string[] = [...'abcdefghijklmnopqrstuvwxyz0123456789'];

export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;

/** Every token in id order: specials, group words, stopwords, punctuation, letters, then `##` letters. */
export function buildVocab(groups: readonly (readonly string[])[] = SYNONYM_GROUPS): string[] {
  const seen = new Set<string>(SPECIAL_TOKENS);
  const out: string[] = [...SPECIAL_TOKENS];
  const add = (token: string) => {
    if (seen.has(token)) return;
    seen.add(token);
    out.push(token);
  };
  for (const group of groups) for (const word of group) add(word.toLowerCase());
  for (const word of [...STOPWORDS, ...PUNCTUATION, ...LETTERS]) add(word);
  for (const letter of LETTERS) add(`##${letter}`);
  return out;
}

/** The default vocabulary, in id order. */
export const TINY_VOCAB: readonly string[] = buildVocab();
