// Probe: what the CongoDB emulator (NOT MongoDB) does for the operations our Mongo store uses,
// driven through the official `mongodb` driver (devDependency of this package).
//
//   cd test/mongo-emulator && npm ci && node probe.mjs
//
// Prints one line per check: OK (behaves like MongoDB), FAIL (differs from MongoDB; the detail
// says how), or INFO (measurement). Exit code is always 0 unless the probe itself crashes:
// FAIL lines are expected and are the documented gaps (see README.md).
import { MongoClient, ObjectId } from 'mongodb';
import { startEmulator } from './start.mjs';

const results = [];
function line(status, name, detail = '') {
  results.push({ status, name, detail });
  console.log(`${status.padEnd(4)}  ${name}${detail ? `  -- ${detail}` : ''}`);
}
function errInfo(e) {
  if (!e) return String(e);
  const parts = [e.name];
  if (e.code !== undefined) parts.push(`code=${e.code}`);
  if (e.codeName) parts.push(`codeName=${e.codeName}`);
  if (e.keyPattern) parts.push(`keyPattern=${JSON.stringify(e.keyPattern)}`);
  parts.push(`message=${JSON.stringify(e.message)}`);
  return parts.join(' ');
}
function withTimeout(p, ms, what) {
  let t;
  return Promise.race([
    p,
    new Promise((_, rej) => {
      t = setTimeout(() => rej(new Error(`TIMEOUT after ${ms} ms (${what})`)), ms);
    }),
  ]).finally(() => clearTimeout(t));
}
/** fn returns true/"detail string" for OK, or throws / returns false|{fail} for FAIL. */
async function check(name, fn, ms = 10000) {
  try {
    const r = await withTimeout(Promise.resolve().then(fn), ms, name);
    if (r === true || r === undefined) line('OK', name);
    else if (typeof r === 'string') line('OK', name, r);
    else if (r && r.fail) line('FAIL', name, r.fail);
    else line('FAIL', name, JSON.stringify(r));
  } catch (e) {
    line('FAIL', name, `threw ${errInfo(e)}`);
  }
}
const eq = (a, b) => JSON.stringify(a) === JSON.stringify(b);
// Test docs carry their identity in `k` (CongoDB cannot store non-ObjectId _id values; see the _id checks).
const strip = (d) => (d && typeof d === 'object' ? (({ _id, ...rest }) => rest)(d) : d);
const expect = (cond, msg) => (cond ? true : { fail: msg });

const emu = await startEmulator({ dbName: 'probe' });
console.log(`# emulator at ${emu.uri}`);
const client = new MongoClient(emu.uri, { serverSelectionTimeoutMS: 3000 }); // uri carries serverMonitoringMode=poll
const monitorEvents = [];
client.on('serverHeartbeatFailed', (e) => monitorEvents.push(`serverHeartbeatFailed: ${e.failure?.message}`));
client.on('connectionPoolCleared', () => monitorEvents.push('connectionPoolCleared'));
await client.connect();
const db = client.db();
const c = (name) => db.collection(name);

await check('connect + hello reports version', async () => {
  const info = await db.admin().command({ buildInfo: 1 });
  return `buildInfo.version=${info.version}`;
});

await check('db.command({ping:1})', async () => {
  const r = await db.command({ ping: 1 });
  return expect(r.ok === 1, `got ${JSON.stringify(r)}`);
});

// ---- inserts ----
await check('insertOne (returns insertedId)', async () => {
  const r = await c('ins').insertOne({ a: 1 });
  const back = await c('ins').findOne({ _id: r.insertedId });
  return expect(r.acknowledged && r.insertedId instanceof ObjectId && back?.a === 1, JSON.stringify(r));
});

await check('insertMany ordered (insertedCount, insertedIds)', async () => {
  const r = await c('ins').insertMany([{ n: 1 }, { n: 2 }, { n: 3 }], { ordered: true });
  return expect(r.insertedCount === 3 && Object.keys(r.insertedIds).length === 3, JSON.stringify(r));
});

// ---- _id types and duplicate _id ----
// MongoDB accepts any BSON type except arrays as _id. CongoDB stores every _id as an ObjectId.
let dupErr;
await check('duplicate ObjectId _id insertOne rejected with code 11000', async () => {
  const id = new ObjectId();
  await c('dup').insertOne({ _id: id, v: 1 });
  try {
    await c('dup').insertOne({ _id: id, v: 2 });
  } catch (e) {
    dupErr = e;
    const still = await c('dup').findOne({ _id: id });
    return e.code === 11000 && still?.v === 1 ? errInfo(e) : { fail: `${errInfo(e)}; stored v=${still?.v}` };
  }
  return { fail: 'second insert with same _id succeeded' };
});
await check('insertMany ordered stops at duplicate _id (11000, later docs not inserted)', async () => {
  const [a, b] = [new ObjectId(), new ObjectId()];
  try {
    await c('dup2').insertMany([{ _id: a, k: 1 }, { _id: a, k: 2 }, { _id: b, k: 3 }], { ordered: true });
    return { fail: 'no error' };
  } catch (e) {
    const ks = (await c('dup2').find().sort({ k: 1 }).toArray()).map((d) => d.k);
    return e.code === 11000 && eq(ks, [1]) ? `${errInfo(e)}` : { fail: `${errInfo(e)}; stored k=${JSON.stringify(ks)} (MongoDB: [1])` };
  }
});
await check('insertMany unordered continues past duplicate _id', async () => {
  const [a, b] = [new ObjectId(), new ObjectId()];
  try {
    await c('dup3').insertMany([{ _id: a, k: 1 }, { _id: a, k: 2 }, { _id: b, k: 3 }], { ordered: false });
    return { fail: 'no error' };
  } catch (e) {
    const ks = (await c('dup3').find().sort({ k: 1 }).toArray()).map((d) => d.k);
    return e.code === 11000 && eq(ks, [1, 3]) ? `${errInfo(e)}` : { fail: `${errInfo(e)}; stored k=${JSON.stringify(ks)} (MongoDB: [1,3])` };
  }
});
await check('string _id ("evt-1") insertOne', async () => {
  await c('sid').insertOne({ _id: 'evt-1', v: 1 });
  const d = await c('sid').findOne({ _id: 'evt-1' });
  return expect(d?._id === 'evt-1', `stored/read back as ${JSON.stringify(d)}`);
});
await check('number _id (1) insertOne + findOne + duplicate rejected', async () => {
  await c('nid').insertOne({ _id: 1, v: 1 });
  const d = await c('nid').findOne({ _id: 1 });
  let dupRejected = false;
  try { await c('nid').insertOne({ _id: 1, v: 2 }); } catch { dupRejected = true; }
  const all = await c('nid').find().toArray();
  return expect(d?._id === 1 && dupRejected, `findOne({_id:1})=${JSON.stringify(d)}; duplicate rejected=${dupRejected}; stored=${JSON.stringify(all)}`);
});
await check('24-hex string _id keeps its string type', async () => {
  const hex = 'aaaaaaaaaaaaaaaaaaaaaaaa';
  await c('hid').insertOne({ _id: hex });
  const d = await c('hid').findOne({});
  return expect(typeof d?._id === 'string', `read back _id is ${d?._id?.constructor?.name} ${d?._id}`);
});
await check('upsert with string _id in filter (updateOne)', async () => {
  const r = await c('sidu').updateOne({ _id: 'stream-A' }, { $inc: { seq: 1 } }, { upsert: true });
  const d = await c('sidu').findOne({});
  return expect(d?._id === 'stream-A', `${JSON.stringify(r)} stored ${JSON.stringify(d)}`);
});
await check('upsert copies ObjectId _id from the filter', async () => {
  const id = new ObjectId();
  await c('oidu').updateOne({ _id: id }, { $set: { v: 1 } }, { upsert: true });
  const d = await c('oidu').findOne({});
  return expect(d?._id?.equals?.(id), `stored ${JSON.stringify(d)} wanted _id ${id}`);
});

// ---- queries ----
const people = c('people');
await people.insertMany([
  { k: 1, name: 'Alice', age: 31, tags: ['a', 'b'], addr: { city: 'Berlin', zip: '10115' } },
  { k: 2, name: 'bob', age: 25, tags: ['b'], addr: { city: 'Paris', zip: '75001' } },
  { k: 3, name: 'Carol', age: 42, tags: [], addr: { city: 'Berlin', zip: '10117' } },
  { k: 4, name: 'dave', age: 19, tags: ['c'], addr: { city: 'Rome', zip: '00118' } },
  { k: 5, name: 'Eve', age: 25, tags: ['a'], addr: { city: 'Paris', zip: '75002' } },
]);

await check('find filter+sort+skip+limit', async () => {
  const r = await people.find({ age: { $gte: 20 } }).sort({ age: -1, k: 1 }).skip(1).limit(2).toArray();
  return expect(eq(r.map((d) => d.k), [1, 2]), `got ${JSON.stringify(r.map((d) => d.k))}`);
});
await check('find $gt/$lt', async () => {
  const r = await people.find({ age: { $gt: 20, $lt: 40 } }).sort({ k: 1 }).toArray();
  return expect(eq(r.map((d) => d.k), [1, 2, 5]), `got ${JSON.stringify(r.map((d) => d.k))}`);
});
await check('find $in', async () => {
  const r = await people.find({ k: { $in: [2, 4, 99] } }).sort({ k: 1 }).toArray();
  return expect(eq(r.map((d) => d.k), [2, 4]), `got ${JSON.stringify(r.map((d) => d.k))}`);
});
await check('find $regex case-insensitive (RegExp and {$regex,$options})', async () => {
  const a = await people.find({ name: /^[ab]/i }).sort({ k: 1 }).toArray();
  const b = await people.find({ name: { $regex: '^[ab]', $options: 'i' } }).sort({ k: 1 }).toArray();
  return expect(eq(a.map((d) => d.k), [1, 2]) && eq(b.map((d) => d.k), [1, 2]), `got ${JSON.stringify([a.map((d) => d.k), b.map((d) => d.k)])}`);
});
await check('find $or', async () => {
  const r = await people.find({ $or: [{ age: 19 }, { 'addr.city': 'Berlin' }] }).sort({ k: 1 }).toArray();
  return expect(eq(r.map((d) => d.k), [1, 3, 4]), `got ${JSON.stringify(r.map((d) => d.k))}`);
});
await check('find $ne/$nin/$exists/$elemMatch/$size', async () => {
  const ne = (await people.find({ age: { $ne: 25 } }).toArray()).length;
  const nin = (await people.find({ k: { $nin: [1, 2] } }).toArray()).length;
  const ex = (await people.find({ missing: { $exists: false } }).toArray()).length;
  const em = (await people.find({ tags: { $elemMatch: { $eq: 'c' } } }).toArray()).length;
  const sz = (await people.find({ tags: { $size: 0 } }).toArray()).length;
  return expect(eq([ne, nin, ex, em, sz], [3, 3, 5, 1, 1]), `got ${JSON.stringify([ne, nin, ex, em, sz])}`);
});
await check('projection (inclusion, exclusion, _id:0, dotted)', async () => {
  const inc = await people.findOne({ k: 1 }, { projection: { name: 1 } });
  const exc = await people.findOne({ k: 1 }, { projection: { tags: 0, addr: 0 } });
  const noId = await people.findOne({ k: 1 }, { projection: { _id: 0, 'addr.city': 1 } });
  const ok = eq(Object.keys(inc).sort(), ['_id', 'name']) && inc.name === 'Alice' && eq(Object.keys(exc).sort(), ['_id', 'age', 'k', 'name']) && eq(noId, { addr: { city: 'Berlin' } });
  return expect(ok, `got ${JSON.stringify([inc, exc, noId])}`);
});
await check('countDocuments (filter, empty filter, skip/limit) + estimatedDocumentCount', async () => {
  const a = await people.countDocuments({ age: 25 });
  const b = await people.countDocuments({});
  const d = await people.countDocuments({}, { skip: 1, limit: 2 });
  const e = await people.estimatedDocumentCount();
  return expect(eq([a, b, d, e], [2, 5, 2, 5]), `got ${JSON.stringify([a, b, d, e])}`);
});
await check('find getMore (iterate 250 docs with batchSize 50)', async () => {
  await c('many').insertMany(Array.from({ length: 250 }, (_, i) => ({ i })));
  let n = 0;
  for await (const _ of c('many').find({}, { batchSize: 50 })) n++;
  return expect(n === 250, `iterated ${n}`);
});

// ---- updates ----
await check('updateOne $set/$inc (matched/modified counts)', async () => {
  const r = await people.updateOne({ k: 2 }, { $set: { name: 'Bob' }, $inc: { age: 2 } });
  const d = await people.findOne({ k: 2 });
  return expect(r.matchedCount === 1 && r.modifiedCount === 1 && d.name === 'Bob' && d.age === 27, `${JSON.stringify(r)} doc=${JSON.stringify(d)}`);
});
await check('updateOne no-match without upsert (matchedCount 0)', async () => {
  const r = await people.updateOne({ k: 999 }, { $set: { x: 1 } });
  return expect(r.matchedCount === 0 && r.modifiedCount === 0 && r.upsertedCount === 0, JSON.stringify(r));
});
await check('updateOne upsert (upsertedId, upsertedCount, filter fields copied)', async () => {
  const r = await c('ups').updateOne({ key: 'x' }, { $set: { v: 1 }, $inc: { n: 1 } }, { upsert: true });
  const d = await c('ups').findOne({ key: 'x' });
  const r2 = await c('ups').updateOne({ key: 'x' }, { $set: { v: 2 }, $inc: { n: 1 } }, { upsert: true });
  const d2 = await c('ups').findOne({ key: 'x' });
  const ok = r.upsertedCount === 1 && r.upsertedId != null && d?.v === 1 && d?.n === 1 &&
    r2.upsertedCount === 0 && r2.matchedCount === 1 && d2.v === 2 && d2.n === 2 && (await c('ups').countDocuments()) === 1;
  return expect(ok, `${JSON.stringify(r)} ${JSON.stringify(d)} ${JSON.stringify(r2)} ${JSON.stringify(d2)}`);
});
await check('$setOnInsert (applied on insert, not on update)', async () => {
  await c('soi').updateOne({ k: 's' }, { $setOnInsert: { createdAt: 1 }, $set: { v: 1 } }, { upsert: true });
  await c('soi').updateOne({ k: 's' }, { $setOnInsert: { createdAt: 2 }, $set: { v: 2 } }, { upsert: true });
  const d = await c('soi').findOne({ k: 's' });
  return expect(d?.createdAt === 1 && d?.v === 2, JSON.stringify(d));
});
await check('$unset and replaceOne', async () => {
  await people.updateOne({ k: 3 }, { $unset: { tags: '' } });
  const a = await people.findOne({ k: 3 });
  const before = await people.findOne({ k: 4 });
  const r = await people.replaceOne({ k: 4 }, { name: 'Dave2' });
  const b = await people.findOne({ _id: before._id });
  return expect(!('tags' in a) && r.modifiedCount === 1 && eq(strip(b), { name: 'Dave2' }), JSON.stringify([a, r, b]));
});
await check('updateMany (matched/modified counts)', async () => {
  const r = await people.updateMany({ 'addr.city': 'Paris' }, { $set: { fr: true } });
  return expect(r.matchedCount === 2 && r.modifiedCount === 2, JSON.stringify(r));
});

// ---- findOneAndUpdate sequence counter ----
await check('findOneAndUpdate {$inc} upsert returnDocument:after (new doc -> 1, existing -> 2)', async () => {
  const seq = c('seq');
  const a = await seq.findOneAndUpdate({ k: 'stream-A' }, { $inc: { seq: 1 } }, { upsert: true, returnDocument: 'after' });
  const b = await seq.findOneAndUpdate({ k: 'stream-A' }, { $inc: { seq: 1 } }, { upsert: true, returnDocument: 'after' });
  const other = await seq.findOneAndUpdate({ k: 'stream-B' }, { $inc: { seq: 1 } }, { upsert: true, returnDocument: 'after' });
  return expect(eq(strip(a), { k: 'stream-A', seq: 1 }) && eq(strip(b), { k: 'stream-A', seq: 2 }) && eq(strip(other), { k: 'stream-B', seq: 1 }) && a._id.equals(b._id), JSON.stringify([a, b, other]));
});
await check('findOneAndUpdate returnDocument:before (null on upsert-insert, old doc after)', async () => {
  const seq = c('seq');
  const a = await seq.findOneAndUpdate({ k: 'stream-C' }, { $inc: { seq: 1 } }, { upsert: true, returnDocument: 'before' });
  const b = await seq.findOneAndUpdate({ k: 'stream-C' }, { $inc: { seq: 1 } }, { upsert: true, returnDocument: 'before' });
  return expect(a === null && eq(strip(b), { k: 'stream-C', seq: 1 }), JSON.stringify([a, b]));
});
await check('findOneAndUpdate includeResultMetadata (lastErrorObject.upserted/updatedExisting)', async () => {
  const r = await c('seq').findOneAndUpdate({ k: 'stream-D' }, { $inc: { seq: 1 } }, { upsert: true, returnDocument: 'after', includeResultMetadata: true });
  return expect(r.ok === 1 && r.value?.seq === 1 && r.lastErrorObject?.updatedExisting === false && r.lastErrorObject?.upserted != null, JSON.stringify(r));
});
await check('findOneAndUpdate with sort picks first match', async () => {
  const r = await people.findOneAndUpdate({ age: { $gte: 20 } }, { $set: { picked: true } }, { sort: { age: 1 }, returnDocument: 'after' });
  return expect(r?.k === 5, JSON.stringify(r));
});
await check('findOneAndDelete / findOneAndReplace', async () => {
  await c('fod').insertMany([{ k: 1, v: 1 }, { k: 2, v: 2 }]);
  const d = await c('fod').findOneAndDelete({ k: 1 });
  const r = await c('fod').findOneAndReplace({ k: 2 }, { v: 3 }, { returnDocument: 'after' });
  return expect(d?.k === 1 && eq(strip(r), { v: 3 }) && (await c('fod').countDocuments()) === 1, JSON.stringify([d, r]));
});

// ---- deletes ----
await check('deleteOne / deleteMany deletedCount', async () => {
  await c('del').insertMany([{ g: 1 }, { g: 1 }, { g: 1 }, { g: 2 }]);
  const a = await c('del').deleteOne({ g: 1 });
  const b = await c('del').deleteMany({ g: 1 });
  const z = await c('del').deleteMany({ g: 99 });
  return expect(a.deletedCount === 1 && b.deletedCount === 2 && z.deletedCount === 0 && (await c('del').countDocuments()) === 1, JSON.stringify([a, b, z]));
});

// ---- indexes ----
await check('createIndex plain, compound, unique (+ listIndexes)', async () => {
  const ix = c('ix');
  const n1 = await ix.createIndex({ a: 1 });
  const n2 = await ix.createIndex({ a: 1, b: -1 }, { name: 'a_b' });
  const n3 = await ix.createIndex({ email: 1 }, { unique: true });
  const list = await ix.listIndexes().toArray();
  const names = list.map((i) => i.name).sort();
  const uniq = list.find((i) => i.name === n3)?.unique === true;
  return expect(eq(names, ['_id_', 'a_1', 'a_b', 'email_1'].sort()) && uniq, `created ${[n1, n2, n3]}; list=${JSON.stringify(list)}`);
});
await check('unique index enforced (insert of duplicate key rejected with 11000)', async () => {
  const ix = c('ix');
  await ix.insertOne({ email: 'x@example.com' });
  try {
    await ix.insertOne({ email: 'x@example.com' });
  } catch (e) {
    return e.code === 11000 ? errInfo(e) : { fail: `rejected but ${errInfo(e)}` };
  }
  const n = await ix.countDocuments({ email: 'x@example.com' });
  return { fail: `duplicate accepted; ${n} docs with the same unique key` };
});
await check('unique index enforced on update/upsert', async () => {
  const ix = c('ix2');
  await ix.createIndex({ k: 1 }, { unique: true });
  await ix.insertMany([{ n: 1, k: 'a' }, { n: 2, k: 'b' }]);
  try {
    await ix.updateOne({ n: 2 }, { $set: { k: 'a' } });
  } catch (e) {
    return e.code === 11000 ? errInfo(e) : { fail: errInfo(e) };
  }
  return { fail: `update to a duplicate key accepted; ${await ix.countDocuments({ k: 'a' })} docs with k='a'` };
});
await check('createIndex on existing duplicates fails (unique)', async () => {
  const ix = c('ix3');
  await ix.insertMany([{ k: 1 }, { k: 1 }]);
  try {
    await ix.createIndex({ k: 1 }, { unique: true });
  } catch (e) {
    return e.code === 11000 ? errInfo(e) : { fail: errInfo(e) };
  }
  return { fail: 'unique index built over duplicate values without error' };
});
await check('TTL index accepted (expiry itself not tested)', async () => {
  const name = await c('ttl').createIndex({ at: 1 }, { expireAfterSeconds: 60 });
  const l = await c('ttl').listIndexes().toArray();
  return expect(l.find((i) => i.name === name)?.expireAfterSeconds === 60, JSON.stringify(l));
});
await check('dropIndex', async () => {
  await c('ix').dropIndex('a_b');
  const names = (await c('ix').listIndexes().toArray()).map((i) => i.name);
  return expect(!names.includes('a_b'), JSON.stringify(names));
});

// ---- bulkWrite ----
await check('bulkWrite ordered (insert/update/upsert/replace/delete counts)', async () => {
  const bw = c('bw');
  const r = await bw.bulkWrite([
    { insertOne: { document: { k: 1, v: 1 } } },
    { insertOne: { document: { k: 2, v: 1 } } },
    { updateOne: { filter: { k: 1 }, update: { $inc: { v: 1 } } } },
    { updateMany: { filter: {}, update: { $set: { t: true } } } },
    { updateOne: { filter: { k: 3 }, update: { $set: { v: 9 } }, upsert: true } },
    { replaceOne: { filter: { k: 2 }, replacement: { v: 7 } } },
    { deleteOne: { filter: { k: 3 } } },
  ], { ordered: true });
  const docs = await bw.find().sort({ v: 1 }).toArray();
  const ok = r.insertedCount === 2 && r.matchedCount === 4 && r.modifiedCount === 4 && r.upsertedCount === 1 && r.deletedCount === 1 &&
    eq(docs.map(strip), [{ k: 1, v: 2, t: true }, { v: 7 }]);
  return expect(ok, `counts ins=${r.insertedCount} match=${r.matchedCount} mod=${r.modifiedCount} ups=${r.upsertedCount} del=${r.deletedCount} docs=${JSON.stringify(docs)} (MongoDB: 2/4/4/1/1)`);
});
await check('bulkWrite with duplicate _id -> MongoBulkWriteError code 11000', async () => {
  try {
    const id = new ObjectId();
    await c('bw2').bulkWrite([{ insertOne: { document: { _id: id } } }, { insertOne: { document: { _id: id } } }]);
    return { fail: 'no error' };
  } catch (e) {
    return e.code === 11000 ? errInfo(e) : { fail: errInfo(e) };
  }
});

// ---- transactions ----
await check('transaction: withTransaction commit', async () => {
  const s = client.startSession();
  try {
    await s.withTransaction(async () => {
      await c('tx').insertOne({ k: 'committed' }, { session: s });
    });
  } finally {
    await s.endSession();
  }
  return expect((await c('tx').countDocuments({ k: 'committed' })) === 1, 'doc missing after commit');
});
await check('transaction: abortTransaction rolls back', async () => {
  const s = client.startSession();
  try {
    s.startTransaction();
    await c('tx').insertOne({ k: 'aborted' }, { session: s });
    await s.abortTransaction();
  } finally {
    await s.endSession();
  }
  const n = await c('tx').countDocuments({ k: 'aborted' });
  return expect(n === 0, `write inside aborted transaction is still there (${n} doc): no rollback`);
});
await check('transaction: uncommitted write invisible outside the session', async () => {
  const s = client.startSession();
  try {
    s.startTransaction();
    await c('tx').insertOne({ k: 'pending' }, { session: s });
    const seen = await c('tx').countDocuments({ k: 'pending' });
    await s.abortTransaction();
    return expect(seen === 0, `uncommitted write visible to other readers (${seen} doc): no isolation`);
  } finally {
    await s.endSession();
  }
});

// ---- aggregation / distinct ----
await check('aggregate $match/$group/$sort', async () => {
  const r = await c('sales').insertMany([
    { item: 'a', qty: 2, price: 10 }, { item: 'b', qty: 1, price: 5 }, { item: 'a', qty: 3, price: 10 }, { item: 'c', qty: 9, price: 1 },
  ]).then(() => c('sales').aggregate([
    { $match: { price: { $gte: 5 } } },
    { $group: { _id: '$item', total: { $sum: { $multiply: ['$qty', '$price'] } }, n: { $sum: 1 } } },
    { $sort: { total: -1 } },
  ]).toArray());
  return expect(eq(r, [{ _id: 'a', total: 50, n: 2 }, { _id: 'b', total: 5, n: 1 }]), JSON.stringify(r));
});
await check('aggregate $project/$limit/$count/$unwind', async () => {
  const cnt = await c('sales').aggregate([{ $match: { item: 'a' } }, { $count: 'n' }]).toArray();
  const unw = await people.aggregate([{ $match: { k: 1 } }, { $unwind: '$tags' }, { $project: { _id: 0, tags: 1 } }, { $limit: 5 }]).toArray();
  return expect(eq(cnt, [{ n: 2 }]) && eq(unw, [{ tags: 'a' }, { tags: 'b' }]), JSON.stringify([cnt, unw]));
});
await check('distinct (with filter, array field flattening)', async () => {
  const a = (await people.distinct('addr.city')).sort();
  const b = (await people.distinct('tags', { k: { $in: [1, 2, 5] } })).sort();
  // (the Rome doc lost its addr in the replaceOne check above)
  return expect(eq(a, ['Berlin', 'Paris']) && eq(b, ['a', 'b']), JSON.stringify([a, b]));
});

// ---- types ----
await check('Date round-trip + range query on Date', async () => {
  const t = new Date('2026-01-02T03:04:05.678Z');
  await c('dates').insertMany([{ k: 1, at: t }, { k: 2, at: new Date(t.getTime() + 1000) }]);
  const d = await c('dates').findOne({ k: 1 });
  const r = await c('dates').find({ at: { $gt: t } }).toArray();
  const s = await c('dates').find().sort({ at: -1 }).limit(1).toArray();
  return expect(d.at instanceof Date && d.at.getTime() === t.getTime() && eq(r.map((x) => x.k), [2]) && s[0].k === 2, JSON.stringify([d, r, s]));
});
await check('ObjectId / null / boolean / number / Buffer types round-trip', async () => {
  const id = new ObjectId();
  await c('types').insertOne({ k: 't', ref: id, nil: null, b: false, f: 1.5, big: 2 ** 40, bin: Buffer.from('hi') });
  const d = await c('types').findOne({ k: 't' });
  const ok = d.ref instanceof ObjectId && d.ref.equals(id) && d.nil === null && d.b === false && d.f === 1.5 && d.big === 2 ** 40 &&
    Buffer.from(d.bin.buffer ?? d.bin).toString() === 'hi';
  return expect(ok, JSON.stringify(d));
});
await check('nested documents (dot-notation query and $set)', async () => {
  await c('nest').insertOne({ k: 1, a: { b: { c: 1 } }, meta: { tags: { x: 1 } } });
  await c('nest').updateOne({ 'a.b.c': 1 }, { $set: { 'a.b.d': 2, 'meta.tags.y': 3 } });
  const d = await c('nest').findOne({ 'a.b.d': 2 });
  return expect(eq(strip(d), { k: 1, a: { b: { c: 1, d: 2 } }, meta: { tags: { x: 1, y: 3 } } }), JSON.stringify(d));
});
await check('arrays $push/$addToSet/$each/$pull + query by element', async () => {
  const arr = c('arr');
  await arr.insertOne({ k: 1, xs: [1] });
  await arr.updateOne({ k: 1 }, { $push: { xs: 2 } });
  await arr.updateOne({ k: 1 }, { $addToSet: { xs: 2 } });
  await arr.updateOne({ k: 1 }, { $addToSet: { xs: { $each: [3, 3, 4] } } });
  await arr.updateOne({ k: 1 }, { $push: { xs: { $each: [5, 6], $slice: -6 } } });
  await arr.updateOne({ k: 1 }, { $pull: { xs: 4 } });
  const d = await arr.findOne({ xs: 5 });
  return expect(eq(strip(d), { k: 1, xs: [1, 2, 3, 5, 6] }), JSON.stringify(d));
});
await check('positional $ update', async () => {
  await c('pos').insertOne({ k: 1, items: [{ k: 'a', n: 1 }, { k: 'b', n: 1 }] });
  await c('pos').updateOne({ k: 1, 'items.k': 'b' }, { $inc: { 'items.$.n': 1 } });
  const d = await c('pos').findOne({ k: 1 });
  return expect(eq(d.items, [{ k: 'a', n: 1 }, { k: 'b', n: 2 }]), JSON.stringify(d));
});
await check('arrayFilters update', async () => {
  await c('af').insertOne({ k: 1, items: [{ k: 'a', n: 1 }, { k: 'b', n: 1 }] });
  await c('af').updateOne({ k: 1 }, { $inc: { 'items.$[e].n': 1 } }, { arrayFilters: [{ 'e.k': 'b' }] });
  const d = await c('af').findOne({ k: 1 });
  return expect(eq(d.items, [{ k: 'a', n: 1 }, { k: 'b', n: 2 }]), JSON.stringify(d));
});

// ---- change streams ----
await check('change stream (collection.watch)', async () => {
  const cs = c('people').watch();
  try {
    const next = cs.tryNext();
    await next;
    return 'opened';
  } finally {
    await cs.close().catch(() => {});
  }
}, 5000);

// ---- admin ----
await check('unknown command error shape', async () => {
  try {
    await db.command({ noSuchCommandXyz: 1 });
    return { fail: 'no error' };
  } catch (e) {
    return expect(e.code === 59, errInfo(e)) === true ? errInfo(e) : { fail: errInfo(e) };
  }
});
await check('listCollections', async () => {
  const names = (await db.listCollections().toArray()).map((x) => x.name);
  const nameOnly = (await db.listCollections({ name: 'people' }, { nameOnly: true }).toArray()).map((x) => x.name);
  return expect(names.includes('people') && names.includes('seq') && eq(nameOnly, ['people']), JSON.stringify([names.length, nameOnly]));
});
await check('createCollection / collection.drop / renameCollection', async () => {
  await db.createCollection('made');
  const a = (await db.listCollections({ name: 'made' }).toArray()).length;
  await c('made').insertOne({ x: 1 });
  await c('made').rename('made2');
  const r = await c('made2').countDocuments();
  const dropped = await c('made2').drop();
  const b = (await db.listCollections({ name: 'made2' }).toArray()).length;
  return expect(a === 1 && r === 1 && dropped === true && b === 0, JSON.stringify([a, r, dropped, b]));
});

// ---- timings ----
{
  const perf = c('perf');
  const docs = Array.from({ length: 10000 }, (_, i) => ({ i, s: `doc-${i}`, at: new Date() }));
  let t0 = performance.now();
  const r = await perf.insertMany(docs);
  let t1 = performance.now();
  line(r.insertedCount === 10000 ? 'INFO' : 'FAIL', 'time: insertMany 10k small docs', `${(t1 - t0).toFixed(0)} ms (insertedCount=${r.insertedCount})`);
  t0 = performance.now();
  const hit = await perf.findOne({ i: 9999 });
  t1 = performance.now();
  line('INFO', 'time: findOne by non-_id field over 10k docs', `${(t1 - t0).toFixed(1)} ms (found=${hit?.i === 9999})`);
  await perf.createIndex({ i: 1 });
  t0 = performance.now();
  for (let k = 0; k < 100; k++) await perf.findOne({ i: k * 97 });
  t1 = performance.now();
  line('INFO', 'time: 100 findOne by indexed field over 10k docs', `${((t1 - t0) / 100).toFixed(2)} ms each`);
  const someIds = (await perf.find({}, { projection: { _id: 1 } }).limit(100).toArray()).map((d) => d._id);
  t0 = performance.now();
  for (const id of someIds) await perf.findOne({ _id: id });
  t1 = performance.now();
  line('INFO', 'time: 100 findOne by _id over 10k docs', `${((t1 - t0) / 100).toFixed(2)} ms each`);
  t0 = performance.now();
  for (let k = 0; k < 100; k++) await perf.findOneAndUpdate({ i: k }, { $inc: { n: 1 } }, { returnDocument: 'after' });
  t1 = performance.now();
  line('INFO', 'time: 100 findOneAndUpdate over a 10k-doc collection', `${((t1 - t0) / 100).toFixed(2)} ms each`);
  const seq = c('perfseq');
  t0 = performance.now();
  let last;
  for (let k = 0; k < 1000; k++) {
    last = await seq.findOneAndUpdate({ k: `s${k % 10}` }, { $inc: { seq: 1 } }, { upsert: true, returnDocument: 'after' });
  }
  t1 = performance.now();
  line(last?.seq === 100 ? 'INFO' : 'FAIL', 'time: 1k sequential findOneAndUpdate $inc upsert (10 counters)', `${(t1 - t0).toFixed(0)} ms, ${((t1 - t0) / 1000).toFixed(2)} ms each (last seq=${last?.seq})`);
  // concurrency: 200 parallel increments on one counter must give 200 distinct values
  const vals = await Promise.all(Array.from({ length: 200 }, () =>
    seq.findOneAndUpdate({ k: 'par' }, { $inc: { seq: 1 } }, { upsert: true, returnDocument: 'after' }).then((d) => d.seq)));
  const distinct = new Set(vals).size;
  const final = (await seq.findOne({ k: 'par' }))?.seq;
  line(distinct === 200 && final === 200 ? 'OK' : 'FAIL', 'findOneAndUpdate $inc: 200 concurrent calls give 200 distinct values', `distinct=${distinct} final=${final}`);
}

await check('findOneAndUpdate upsert: 50 concurrent calls on a NEW key create one doc', async () => {
  const col = c('racenew');
  const vals = await Promise.all(Array.from({ length: 50 }, () =>
    col.findOneAndUpdate({ k: 'fresh' }, { $inc: { seq: 1 } }, { upsert: true, returnDocument: 'after' }).then((d) => d.seq)));
  const docs = await col.find({ k: 'fresh' }).toArray();
  return expect(docs.length === 1 && new Set(vals).size === 50, `docs for the key=${docs.length}, distinct values=${new Set(vals).size}`);
});

await check('streaming server monitor (exhaust hello) over 11 s, default client options', async () => {
  // Uses a second client WITHOUT serverMonitoringMode=poll to show why start.mjs adds it.
  const bare = emu.uri.split('?')[0];
  const c2 = new MongoClient(bare, { serverSelectionTimeoutMS: 3000 });
  const ev = [];
  c2.on('serverHeartbeatFailed', (e) => ev.push(e.failure?.message));
  c2.on('connectionPoolCleared', () => ev.push('connectionPoolCleared'));
  await c2.connect();
  await new Promise((r) => setTimeout(r, 11500));
  await c2.close();
  return ev.length === 0 ? true : { fail: `${ev.length} events, e.g. heartbeat failed "${ev[0]}" -> ${[...new Set(ev)].join(' | ')}` };
}, 20000);
line(monitorEvents.length === 0 ? 'OK' : 'FAIL', 'no heartbeat failures / pool clears with serverMonitoringMode=poll (whole probe)', monitorEvents.slice(0, 3).join(' | '));

await check('dropDatabase', async () => {
  const ok = await db.dropDatabase();
  const left = (await db.listCollections().toArray()).length;
  return expect(ok === true && left === 0, `dropDatabase=${ok}, collections left=${left}`);
});

await check('client close', async () => {
  await client.close();
  return true;
});
await emu.stop();

const count = (s) => results.filter((r) => r.status === s).length;
console.log(`# ${count('OK')} OK, ${count('FAIL')} FAIL, ${count('INFO')} INFO`);
if (dupErr) console.log(`# duplicate _id error: ${errInfo(dupErr)}`);
