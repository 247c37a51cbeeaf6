// Material of the long-conversation set (bench/conversation-set.ts): the casts of eight chat histories, the things
// people in them say (targets and the near misses around them) and how someone later asks about them. Slots: {S}
// speaker, {R} relative's name, {rel} relation, {city} {hotel} {n} … values drawn per instance. Question wording
// avoids the answer turn's words on purpose: mostly a name, a relation, a date or a number is shared, plus at most
// one topic word.

export interface CastMember {
  name: string;
  /** How someone types the name on a keyboard without diacritics (the diacritics questions use it). */
  ascii: string;
  lang: 'en' | 'zh' | 'ja';
}

export interface Cast {
  /** The operator's line of work (filler turns mention it). */
  trade: string;
  /** What the history builds up to: "the launch", "the opening" (anchor questions: "the week before the launch"). */
  anchor: string;
  people: CastMember[];
}

const en = (name: string, ascii = name): CastMember => ({ name, ascii, lang: 'en' });

export const CASTS: readonly Cast[] = [
  { trade: 'bakery', anchor: 'launch', people: [en('Maya'), en('Jane'), en('Omar')] },
  {
    trade: 'podcast studio',
    anchor: 'premiere',
    people: [en('Søren', 'Soren'), en('Zoë', 'Zoe'), en('Renée', 'Renee')],
  },
  {
    trade: 'bike workshop',
    anchor: 'opening',
    people: [en('José', 'Jose'), en('Inês', 'Ines'), en('Łukasz', 'Lukasz')],
  },
  { trade: 'design studio', anchor: 'launch', people: [en('Priya'), en('Björn', 'Bjorn'), en('Chloé', 'Chloe')] },
  {
    trade: 'tea shop',
    anchor: 'opening',
    people: [en('Lin'), { name: '王芳', ascii: '王芳', lang: 'zh' }, en('Tomás', 'Tomas')],
  },
  {
    trade: 'ceramics studio',
    anchor: 'exhibition',
    people: [en('Aiko'), { name: '田中', ascii: '田中', lang: 'ja' }, en('Hugo')],
  },
  { trade: 'coffee roastery', anchor: 'launch', people: [en('Kwame'), en('Małgorzata', 'Malgorzata'), en('Dario')] },
  { trade: 'yoga studio', anchor: 'opening', people: [en('Freya'), en('François', 'Francois'), en('Noor')] },
];

export const RELATIONS = [
  'sister',
  'brother',
  'cousin',
  'neighbour',
  'colleague',
  'daughter',
  'son',
  'husband',
  'wife',
  'boss',
] as const;
export const WOMEN = [
  'Lucía',
  'Ana',
  'Ines',
  'Astrid',
  'Niamh',
  'Elif',
  'Sanne',
  'Ilse',
  'Mei',
  'Noémie',
  'Greta',
  'Amara',
  'Hanna',
  'Leonor',
];
export const MEN = [
  'Piet',
  'Raj',
  'Kofi',
  'Yusuf',
  'Matías',
  'Bram',
  'Emil',
  'Jonas',
  'Ravi',
  'Teodor',
  'Wiktor',
  'Oskar',
  'Ezra',
  'Álvaro',
];
/** Relations whose name is a woman's or a man's; the others take either. */
export const FEMALE = new Set(['sister', 'daughter', 'wife']);
export const MALE = new Set(['brother', 'son', 'husband']);
export const CITIES = [
  'Porto',
  'Lisbon',
  'Malmö',
  'Kraków',
  'Ghent',
  'Bergen',
  'Bologna',
  'Sevilla',
  'Tallinn',
  'Zürich',
  'Lyon',
  'Galway',
  'Utrecht',
  'Graz',
  'Cork',
  'Aarhus',
];
export const HOTELS = [
  'Casa Amora',
  'Hotel Alma',
  'the Linden Inn',
  'Pensão Flor',
  'the Harbour Rooms',
  'Villa Serena',
  'the Old Mill',
  'Hôtel Azur',
  'the Copper Fox',
  'Quinta do Vale',
];
export const RESTAURANTS = [
  'Taberna Sol',
  'Mamma Rosa',
  'the Blue Door',
  'Kafe Lumen',
  'Osteria Nove',
  'the Salt Shed',
  'Bistro Édith',
  'Dim Sum Garden',
  'the Fig Tree',
  'Casa Luz',
];
export const BANDS = [
  'Khruangbin',
  'Fleet Foxes',
  'Arlo Parks',
  'Röyksopp',
  'Big Thief',
  'Nils Frahm',
  'Little Simz',
  'Bonobo',
  'Sigur Rós',
  'Hania Rani',
];
export const BOOKS = [
  'Piranesi',
  'Klara and the Sun',
  'Stoner',
  'The Overstory',
  'Pachinko',
  'Tomorrow, and Tomorrow',
  'Circe',
  'Middlemarch',
  'Normal People',
  'The Remains of the Day',
];
export const ITEMS = [
  'a standing desk',
  'an espresso machine',
  'a cargo bike',
  'a second-hand piano',
  'a road bike',
  'a kayak',
  'a film camera',
  'a sewing machine',
  'a telescope',
  'an air fryer',
];
export const SHOPS = [
  'a flea market',
  'Marketplace',
  'the shop on Rua Nova',
  'a guy from work',
  'the outlet store',
  'an estate sale',
];
export const RACES = ['half marathon', 'city 10k', 'trail race', 'night run', 'charity 5k'];
export const VENDORS = [
  'venue',
  'caterer',
  'photographer',
  'printer',
  'sign maker',
  'furniture rental',
  'florist',
  'sound tech',
];
export const EVENTS = [
  'workshop',
  'tasting',
  'open studio',
  'supper club',
  'pop-up',
  'masterclass',
  'book swap',
  'quiz night',
];
export const SUPPLIERS = [
  'Harvest & Co',
  'Nordmill',
  'Greenleaf Supplies',
  'Atlas Packaging',
  'Brightline',
  'Okra Wholesale',
];
export const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

/** Things that happen more than once to the same person: the dates tell them apart. `ask` takes {when}. */
export const RECURRING: ReadonlyArray<{ id: string; turn: readonly string[]; ask: readonly string[] }> = [
  {
    id: 'hotel',
    turn: [
      'Booked a hotel in {city}, {hotel}, {n} nights with breakfast',
      'Our hotel in {city} is {hotel}, {n} nights, right by the station',
    ],
    ask: ['Which hotel did {S} pick {when}?', "What was the name of {S}'s hotel {when}?"],
  },
  {
    id: 'dinner',
    turn: [
      'Dinner at {restaurant} with my {rel} {R}, the grilled octopus was unreal',
      'Dinner with {R}, my {rel}, at {restaurant}. Worth the queue',
    ],
    ask: ['Where did {S} have dinner {when}?', 'Which restaurant did {S} pick for dinner {when}?'],
  },
  {
    id: 'concert',
    turn: ['Got two concert tickets for {band} on {weekday}!!', '{band} concert last night, still buzzing'],
    ask: ['Which band did {S} see in concert {when}?', 'What concert did {S} go to {when}?'],
  },
  {
    id: 'reading',
    turn: [
      'Reading {book} at the moment, cannot put it down',
      'Just finished reading {book}. Ending made me cry on the tram',
    ],
    ask: ['What book was {S} reading {when}?', 'Which novel did {S} read {when}?'],
  },
  {
    id: 'purchase',
    turn: ['Finally bought {item} from {shop}', 'Bought {item} from {shop}, bargain'],
    ask: ['What did {S} buy {when}?', 'What new thing did {S} buy {when}?'],
  },
  {
    id: 'race',
    turn: ['Ran the {race} in {n}:{mm}, new personal best', 'Ran the {race} this morning, {n}:{mm}, legs are dead'],
    ask: ['How fast did {S} run {when}?', 'What time did {S} run {when}?'],
  },
];

/** Family news told in the first person; asked about as "{S}'s {rel}". */
export const RELATIVE_NEWS: ReadonlyArray<{
  id: string;
  turn: readonly string[];
  ask: readonly string[];
  near: string;
}> = [
  {
    id: 'job',
    turn: [
      'My {rel} {R} got the job at the museum in {city}!',
      '{R}, my {rel}, starts at the hospital in {city} next month',
    ],
    ask: ["Where does {S}'s {rel} work now?", "What position did {S}'s {rel} land?"],
    near: 'My {rel} {R} is still looking for work, applications everywhere',
  },
  {
    id: 'move',
    turn: [
      'My {rel} {R} is moving to {city} in the spring',
      '{R} (my {rel}) signed a lease in {city}, moving in {weekday}',
    ],
    ask: ["Which city is {S}'s {rel} relocating to?", "Where will {S}'s {rel} live?"],
    near: 'Helped my {rel} {R} carry boxes all day, my back hurts',
  },
  {
    id: 'baby',
    turn: [
      'My {rel} {R} had the baby, a little girl called {baby}',
      '{R} and the baby are home! My {rel} named her {baby}',
    ],
    ask: ["What is the name of {S}'s {rel}'s newborn?", "What did {S}'s {rel} call the little one?"],
    near: 'My {rel} {R} says the baby is due in a few weeks',
  },
  {
    id: 'engaged',
    turn: ['My {rel} {R} got engaged to {partner} last night', '{R}, my {rel}, is marrying {partner} next summer'],
    ask: ["Who is {S}'s {rel} going to wed?", "Who proposed to {S}'s {rel}?"],
    near: 'My {rel} {R} keeps asking when I am getting married, ugh',
  },
  {
    id: 'injury',
    turn: [
      'My {rel} {R} broke an ankle skiing, six weeks in a cast',
      '{R} (my {rel}) fell off the ladder, wrist fractured',
    ],
    ask: ["How did {S}'s {rel} get hurt?", "What accident did {S}'s {rel} have?"],
    near: 'My {rel} {R} is back on the slopes already, no fear',
  },
  {
    id: 'study',
    turn: [
      'My {rel} {R} starts a master in marine biology in {city}',
      '{R}, my {rel}, got into the architecture course in {city}',
    ],
    ask: ["What is {S}'s {rel} going to study?", "Which degree did {S}'s {rel} enrol in?"],
    near: 'My {rel} {R} dropped out of uni to start a band',
  },
  {
    id: 'birthday',
    turn: [
      'My {rel} {R} turns {age} on {weekday}, planning a surprise',
      'Party for my {rel} {R} on {weekday}, {age} candles',
    ],
    ask: ["How old is {S}'s {rel} turning?", "What age is {S}'s {rel} celebrating?"],
    near: "Forgot my {rel} {R}'s birthday again, sent flowers",
  },
];

/** Amounts and counts; the question types the number as people do (no thousands separator). */
export const NUMBERS: ReadonlyArray<{ id: string; turn: readonly string[]; ask: readonly string[]; near: string }> = [
  {
    id: 'deposit',
    turn: ['Paid the {vendor} deposit today, €{amount}', 'Deposit for the {vendor} is {amount} euros, transferred'],
    ask: ['Which booking did {S} put {plain} down for?', 'What was the {plain} euro advance for?'],
    near: 'The {vendor2} wants €{amount2} upfront, no way',
  },
  {
    id: 'quote',
    turn: ['Quote for the {fix} came in at {amount}, ouch', 'The {fix} will cost {amount} all in'],
    ask: ['What repair was priced at {plain}?', 'What job did someone estimate at {plain}?'],
    near: 'Got a quote of {amount2} for the {fix2}, way too high',
  },
  {
    id: 'signups',
    turn: ['{count} people signed up for the {event} already', 'We are at {count} registrations for the {event}!'],
    ask: ['Which event had {count} sign ups?', 'What got {count} people registered?'],
    near: 'Only {count2} came to the {event2}, bit sad',
  },
  {
    id: 'order',
    turn: ['Order {order} from {supplier} is stuck in customs', '{supplier} says order {order} ships on {weekday}'],
    ask: ['Any news on order number {order}?', 'What is the status of {order}?'],
    near: 'Order {order2} from {supplier} arrived, all fine',
  },
  {
    id: 'rent',
    turn: [
      'Rent for the studio goes up to {amount} from next month',
      'Landlord wants {amount} a month for the bigger unit',
    ],
    ask: ['Who is asking {plain} per month?', 'What costs {plain} monthly?'],
    near: 'Our old rent was {amount2}, those were the days',
  },
];

/** What a person recommends; the diacritics questions type the speaker's name without them. */
export const ADVICE: ReadonlyArray<{ id: string; turn: string; ask: string; near: string }> = [
  {
    id: 'mic',
    turn: 'Get the Shure MV7, the cheap USB mics hiss',
    ask: 'Which mic did {A} suggest?',
    near: 'My USB mic died mid-recording today',
  },
  {
    id: 'accountant',
    turn: 'Talk to Edda Kranz, she did my taxes and found 900 back',
    ask: 'Who did {A} say could do my taxes?',
    near: 'Taxes are due and I have not even started',
  },
  {
    id: 'printer',
    turn: 'Riso Club prints zines cheap if you bring your own paper',
    ask: 'Which print shop did {A} point me to?',
    near: 'Printing the flyers cost a fortune again',
  },
  {
    id: 'insurance',
    turn: 'Go with Hiscox for liability, the claim process is painless',
    ask: 'What insurer did {A} rate for liability?',
    near: 'Our liability cover runs out in spring',
  },
  {
    id: 'camera',
    turn: "Rent the Fuji X-T5 for the shoot, don't buy it",
    ask: 'What did {A} tell me about gear for the shoot?',
    near: 'The photos from the shoot came out blurry',
  },
  {
    id: 'software',
    turn: 'Use Tally for forms, Typeform is too pricey for us',
    ask: 'Which tool did {A} like for forms?',
    near: 'The signup form broke again, nobody can register',
  },
  {
    id: 'lawyer',
    turn: 'My friend Dr. Okafor reviews leases for a flat fee',
    ask: 'Who did {A} mention for checking the lease?',
    near: 'The lease has a weird clause about the basement',
  },
  {
    id: 'course',
    turn: 'Take the pricing course by Blair Enns, changed how I quote',
    ask: 'Which training on pricing did {A} recommend?',
    near: 'I never know what pricing to use for new clients',
  },
];

/** Ordinary questions about one turn, in other words than the turn's. */
export const PLAIN: ReadonlyArray<{ turn: string; ask: string; near: string }> = [
  {
    turn: 'The washing machine broke again, a technician comes {weekday}',
    ask: "When is someone fixing {S}'s washer?",
    near: 'Doing laundry at the laundromat like a student',
  },
  {
    turn: 'Switched the newsletter to Buttondown, Mailchimp got too pricey',
    ask: 'Why did {S} leave Mailchimp?',
    near: 'Newsletter open rate dropped to 31 percent',
  },
  {
    turn: 'The van failed its inspection, brakes need replacing',
    ask: "What was wrong with {S}'s vehicle?",
    near: 'Parked the van in the wrong spot, got a ticket',
  },
  {
    turn: 'Landlord finally agreed to fix the leaking roof over the workshop',
    ask: 'Did the owner of the building sort out the water coming in?',
    near: 'It rained so hard the street flooded',
  },
  {
    turn: 'I am allergic to cashews, found out the hard way at the tasting',
    ask: 'Which nut can {S} not eat?',
    near: 'The tasting menu had nine courses, I was stuffed',
  },
  {
    turn: 'Our wifi password is now sunflower42, changed it after the break-in',
    ask: "What is the new internet code at {S}'s place?",
    near: 'The wifi keeps dropping during calls',
  },
  {
    turn: 'Dog sitter cancelled, so Biscuit comes with me to the fair',
    ask: "Who is looking after {S}'s pet during the fair?",
    near: 'Biscuit ate a whole croissant off the counter',
  },
  {
    turn: 'Decided to close on Mondays from now on, nobody comes in anyway',
    ask: 'Which day will {S} shut the shop each week?',
    near: 'Monday was dead quiet again',
  },
  {
    turn: 'My accountant says I should register for VAT before the summer',
    ask: 'What tax step did {S} get told to take?',
    near: 'Spent the whole evening sorting receipts',
  },
  {
    turn: 'Hired a part-time assistant, Beatriz, she starts {weekday}',
    ask: 'Who is the new helper {S} took on?',
    near: 'Need help with the admin, drowning in email',
  },
  {
    turn: 'Stopped taking card payments under 5 euros, the fees eat everything',
    ask: "Why won't {S} accept small card transactions?",
    near: 'Card reader ran out of battery at the market',
  },
  {
    turn: 'The mould in the storeroom is back, throwing out the flour sacks',
    ask: 'What did {S} have to bin because of damp?',
    near: 'Storeroom is a mess, need shelves',
  },
  {
    turn: 'Got a parking fine outside the wholesaler, 60 euros',
    ask: "How much was {S}'s penalty for the car?",
    near: 'Parking near the wholesaler is impossible',
  },
  {
    turn: 'Signed up for Dutch lessons on Tuesday evenings',
    ask: 'What language is {S} learning?',
    near: 'My Dutch is still terrible, cannot follow the news',
  },
  {
    turn: 'Doctor says it is just a sprain, ice and rest for a week',
    ask: 'What did the GP tell {S} about the injury?',
    near: 'My knee has been clicking all week',
  },
  {
    turn: 'The council approved the outdoor seating permit, finally',
    ask: 'Did {S} get permission for tables on the pavement?',
    near: 'Outdoor seating is packed whenever the sun is out',
  },
];

/** Chinese turns by 王芳 and questions in Chinese: the words are shared as characters, never separated by spaces. */
export const ZH: ReadonlyArray<{ turn: string; ask: string; near: string }> = [
  { turn: '我妹妹下个月搬到上海去工作', ask: '王芳的妹妹要搬到哪个城市?', near: '我妹妹昨天来店里买了两斤茶叶' },
  { turn: '新店的押金是八千块,已经转账了', ask: '新店押金多少钱?', near: '房东说明年房租可能要涨' },
  { turn: '周六的品茶会有三十个人报名', ask: '品茶会报名人数是多少?', near: '上次品茶会来的人不多' },
  { turn: '我在云南订了五十公斤普洱茶', ask: '王芳订了多少普洱?', near: '普洱茶的价格今年又涨了' },
  { turn: '装修师傅说厨房要下周才能完工', ask: '厨房装修什么时候完成?', near: '装修的噪音太大了,邻居投诉了' },
  { turn: '我弟弟考上了北京大学的研究生', ask: '王芳的弟弟考上了哪所学校?', near: '我弟弟最近一直在打游戏' },
  { turn: '店里的咖啡机坏了,明天有人来修', ask: '咖啡机什么时候修好?', near: '咖啡豆快用完了,要再订一些' },
  { turn: '我们决定每周一休息,不开门', ask: '店铺哪天不营业?', near: '周一的生意一直很差' },
  { turn: '我妈妈下周做手术,我要回杭州', ask: '王芳为什么要回杭州?', near: '杭州的龙井今年特别好' },
  { turn: '我们的新茶杯是在景德镇定做的', ask: '新茶杯在哪里定制的?', near: '茶杯摔碎了三个,真可惜' },
  { turn: '会计说我们要在七月前交税', ask: '什么时候之前要交税?', near: '账本我还没有整理好' },
  { turn: '我表姐在深圳开了一家花店', ask: '王芳的表姐开了什么店?', near: '花店送来的花很漂亮' },
  { turn: '下雨天顾客特别少,只卖了十杯', ask: '下雨那天卖了几杯?', near: '天气预报说周末有大雨' },
  { turn: '我报了一个周三晚上的日语班', ask: '王芳在学什么语言?', near: '日本客人越来越多了' },
  { turn: '网站的照片是我朋友小李拍的', ask: '网站上的照片是谁拍的?', near: '网站打开太慢了' },
];

/** Japanese turns by 田中 and questions in Japanese. */
export const JA: ReadonlyArray<{ turn: string; ask: string; near: string }> = [
  { turn: '来週の窯出しは土曜日に決まりました', ask: '窯出しはいつですか?', near: '窯の温度がなかなか上がらない' },
  {
    turn: '妹が大阪に引っ越すことになりました',
    ask: '田中さんの妹はどこに引っ越しますか?',
    near: '妹と久しぶりに電話で話した',
  },
  {
    turn: '展示会のポスターは三百枚印刷しました',
    ask: 'ポスターを何枚印刷しましたか?',
    near: 'ポスターのデザインをもう一度直したい',
  },
  {
    turn: '粘土の注文は信楽の業者にお願いしました',
    ask: '粘土はどこの業者に注文しましたか?',
    near: '粘土が足りなくなりそうです',
  },
  {
    turn: '息子が東京の大学に合格しました',
    ask: '田中さんの息子はどの大学に受かりましたか?',
    near: '息子は最近ずっと部活で忙しい',
  },
  {
    turn: 'ギャラリーの家賃は月十二万円です',
    ask: 'ギャラリーの家賃はいくらですか?',
    near: '家賃の支払いを忘れていた',
  },
  { turn: '釉薬の新しい色は青磁にしました', ask: '新しい釉薬は何色ですか?', near: '釉薬が垂れて失敗しました' },
  {
    turn: 'ワークショップには十五人が申し込みました',
    ask: 'ワークショップの申込者は何人ですか?',
    near: '前回のワークショップは雨で中止でした',
  },
  {
    turn: '電動ろくろが壊れたので修理に出しました',
    ask: 'ろくろはどうなりましたか?',
    near: 'ろくろの練習を毎朝しています',
  },
  {
    turn: '母の誕生日に湯呑みを作ってあげました',
    ask: '田中さんはお母さんに何を贈りましたか?',
    near: '母は陶芸にはあまり興味がない',
  },
  {
    turn: '京都の骨董市で古い茶碗を見つけました',
    ask: '古い茶碗はどこで見つけましたか?',
    near: '茶碗が割れてしまいました',
  },
  { turn: '税理士さんに確定申告をお願いしました', ask: '確定申告は誰に頼みましたか?', near: '領収書の整理が大変です' },
  {
    turn: '夫が来月から名古屋に単身赴任します',
    ask: '田中さんの夫はどこに転勤しますか?',
    near: '夫は料理が全然できない',
  },
  { turn: '店の定休日を水曜日に変えました', ask: 'お店の休みは何曜日ですか?', near: '水曜日はいつも雨が多い' },
  {
    turn: '英語のメニューを友達のハナさんが作ってくれました',
    ask: '英語のメニューは誰が作りましたか?',
    near: '外国のお客さんが増えてきました',
  },
];

/** Things done for the big day; the anchor questions ask about "the week before the {anchor}". */
export const PREP: ReadonlyArray<{ turn: string; ask: string }> = [
  { turn: 'Ordered {count} tote bags with the logo', ask: 'How many bags did {S} order the week before the {anchor}?' },
  {
    turn: 'Printed {count} flyers and dropped them at every café on the street',
    ask: 'What did {S} hand out around the neighbourhood the week before the {anchor}?',
  },
  {
    turn: 'Hired a DJ, Marta Vidal, for the evening',
    ask: 'Who did {S} get for the music the week before the {anchor}?',
  },
  {
    turn: 'Painted the front window with the opening hours',
    ask: 'What did {S} decorate the week before the {anchor}?',
  },
  {
    turn: 'Sent the press release to {count} journalists',
    ask: 'Who did {S} email the announcement to the week before the {anchor}?',
  },
];

/** Small talk: shares words with the targets (hotels, sisters, deposits, launches, numbers) without answering anything. */
export const FILLER_EN: readonly string[] = [
  'haha yes',
  'sounds good, see you then',
  'ok will do',
  'omg really?',
  'that is amazing news',
  'ugh, mondays',
  'how is your sister doing?',
  'say hi to your brother from me',
  'is your cousin still in town?',
  'we should get dinner soon',
  'did you book the hotel yet?',
  'the hotel wifi is useless',
  'I need a holiday',
  'can you send me the number?',
  'the deposit thing is stressing me out',
  'how many people are coming?',
  'the {anchor} is going to be great',
  'countdown to the {anchor}!',
  'so tired today',
  'coffee first',
  'can we move our call to {weekday}?',
  'running late, 10 min',
  'I read that book too, loved it',
  'did you see the concert photos?',
  'my back is killing me',
  'the {trade} was packed today',
  'slow day at the {trade}',
  'quiet week, catching up on admin',
  'lol',
  'new personal best at the gym, small wins',
  'rain again',
  'remind me on {weekday}',
  'I will check and get back to you',
  'my neighbour is drilling again',
  'thanks!!',
  'that tracks',
  'wait what',
  'no rush',
  'shall I order more?',
  'I owe you a drink',
  'did the money come through?',
  'the bank app is down',
  'the invoice is in your inbox',
  'let us talk about it {weekday}',
  'my daughter has a fever, working from home',
  'what time works?',
  'all good here',
  'the landlord never answers',
  'we need a bigger place',
  'prices keep going up',
  'ok fine, you win',
];
export const FILLER_ZH: readonly string[] = [
  '好的',
  '没问题,明天见',
  '今天店里很忙',
  '哈哈哈',
  '我等会儿给你打电话',
  '周末有空吗?',
  '辛苦了',
  '谢谢你!',
];
export const FILLER_JA: readonly string[] = [
  '了解です',
  'ありがとうございます',
  '今日は忙しかったです',
  'また連絡します',
  '週末は空いていますか?',
  'お疲れさまです',
  'いいですね!',
];
