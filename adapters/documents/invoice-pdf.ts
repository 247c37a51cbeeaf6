// Invoice PDFs with pdfkit (loaded on first use: ~0.3 s, so never at start-up). The output is deterministic: the
// document's creation date (which also seeds the PDF's file ID) is the invoice date, and nothing else varies, so a
// replayed step writes byte-identical files. The 14 standard PDF fonts carry Latin-1 (WinAnsi) text only; names in
// other scripts need an embedded font, which this renderer does not ship yet.

import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, normalize, sep } from 'node:path';
import { formatMoney } from '../../src/domain/money.ts';
import type { InvoiceDocument, InvoiceDocuments, SavedDocument } from '../../src/ports/documents.ts';

const importPdfKit = () => import('pdfkit').then((m) => m.default);
let loading: ReturnType<typeof importPdfKit> | undefined;
const pdfkit = (): ReturnType<typeof importPdfKit> =>
  (loading ??= importPdfKit().catch((err: unknown) => {
    loading = undefined;
    throw err;
  }));

const MARGIN = 56;
const GREY = '#555555';

/** 2026-03-02 → 2 March 2026 (fixed locale, so the bytes do not depend on the machine). */
function longDate(iso: string): string {
  const d = new Date(`${iso}T00:00:00Z`);
  return d.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
}

export async function renderInvoicePdf(doc: InvoiceDocument): Promise<Buffer> {
  const PDFDocument = await pdfkit();
  const total = doc.lines.reduce((sum, l) => sum + l.amountMinor, 0);
  const pdf = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    info: {
      Title: `Invoice ${doc.number}`,
      Author: doc.seller.name,
      Subject: `Invoice ${doc.number} to ${doc.buyer.name}`,
      Creator: 'Solo OS',
      CreationDate: new Date(`${doc.issueDate}T00:00:00Z`),
    },
  });
  const done = new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    pdf.on('data', (c: Buffer) => chunks.push(c));
    pdf.on('end', () => resolve(Buffer.concat(chunks)));
    pdf.on('error', reject);
  });
  const width = pdf.page.width - 2 * MARGIN;
  const right = MARGIN + width;

  // The seller, top left; the invoice's identity, top right.
  pdf
    .font('Helvetica-Bold')
    .fontSize(18)
    .fillColor('black')
    .text(doc.seller.name, MARGIN, MARGIN, { width: width * 0.6 });
  pdf.font('Helvetica').fontSize(10).fillColor(GREY);
  for (const line of doc.seller.address) pdf.text(line, { width: width * 0.6 });
  if (doc.seller.taxId) pdf.text(`VAT / tax ID: ${doc.seller.taxId}`, { width: width * 0.6 });
  if (doc.seller.email) pdf.text(doc.seller.email, { width: width * 0.6 });
  const leftBottom = pdf.y;
  pdf.font('Helvetica-Bold').fontSize(22).fillColor('black').text('INVOICE', MARGIN, MARGIN, { width, align: 'right' });
  pdf.font('Helvetica').fontSize(10);
  pdf.text(`Number: ${doc.number}`, { width, align: 'right' });
  pdf.text(`Date: ${longDate(doc.issueDate)}`, { width, align: 'right' });
  pdf.text(`Due: ${longDate(doc.dueDate)}`, { width, align: 'right' });
  if (doc.providerNumber) pdf.fillColor(GREY).text(`Stripe number: ${doc.providerNumber}`, { width, align: 'right' });

  // Bill to.
  let y = Math.max(leftBottom, pdf.y) + 28;
  pdf.font('Helvetica-Bold').fontSize(10).fillColor('black').text('Bill to', MARGIN, y);
  pdf.font('Helvetica').text(doc.buyer.name);
  if (doc.buyer.email) pdf.fillColor(GREY).text(doc.buyer.email);

  // Line items and the total.
  y = pdf.y + 24;
  const amountWidth = 130;
  pdf
    .font('Helvetica-Bold')
    .fillColor('black')
    .text('Description', MARGIN, y, { width: width - amountWidth });
  pdf.text(`Amount (${doc.currency})`, right - amountWidth, y, { width: amountWidth, align: 'right' });
  y = pdf.y + 4;
  pdf.moveTo(MARGIN, y).lineTo(right, y).lineWidth(0.7).strokeColor('#999999').stroke();
  pdf.font('Helvetica');
  for (const line of doc.lines) {
    y += 8;
    pdf.fillColor('black').text(line.description, MARGIN, y, { width: width - amountWidth - 12 });
    const bottom = pdf.y;
    pdf.text(formatMoney(line.amountMinor, doc.currency), right - amountWidth, y, {
      width: amountWidth,
      align: 'right',
    });
    y = Math.max(bottom, pdf.y);
  }
  y += 6;
  pdf.moveTo(MARGIN, y).lineTo(right, y).stroke();
  y += 8;
  pdf
    .font('Helvetica-Bold')
    .fontSize(12)
    .text('Total due', MARGIN, y, { width: width - amountWidth });
  pdf.text(formatMoney(total, doc.currency), right - amountWidth, y, { width: amountWidth, align: 'right' });

  // How to pay.
  pdf
    .font('Helvetica')
    .fontSize(10)
    .fillColor('black')
    .text(`Please pay by ${longDate(doc.dueDate)}, quoting ${doc.number}.`, MARGIN, pdf.y + 28, { width });
  if (doc.seller.bank) pdf.text(`Bank: ${doc.seller.bank}`, { width });
  if (doc.payUrl)
    pdf.fillColor('#1a4fb4').text(`Pay online: ${doc.payUrl}`, { width, link: doc.payUrl, underline: false });
  pdf.font('Helvetica').fontSize(8).fillColor(GREY);
  pdf.text(
    [doc.seller.name, doc.seller.taxId ? `VAT / tax ID ${doc.seller.taxId}` : undefined].filter(Boolean).join(' · '),
    MARGIN,
    pdf.page.height - MARGIN - 10,
    { width, align: 'center', lineBreak: false },
  );
  pdf.end();
  return done;
}

/** Invoice PDFs kept under `<dataDir>/invoices/`. */
export class PdfInvoiceDocuments implements InvoiceDocuments {
  readonly #dir: string;
  constructor(dataDir: string) {
    this.#dir = dataDir;
  }

  render(document: InvoiceDocument): Promise<Buffer> {
    return renderInvoicePdf(document);
  }

  async save(document: InvoiceDocument): Promise<SavedDocument> {
    const bytes = await renderInvoicePdf(document);
    const file = `invoices/${document.number.replace(/[^\w-]/g, '_')}.pdf`;
    const path = join(this.#dir, file);
    await mkdir(dirname(path), { recursive: true });
    const temp = `${path}.${process.pid}.tmp`;
    await writeFile(temp, bytes);
    await rename(temp, path);
    return { file, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length };
  }

  async read(file: string): Promise<Buffer | undefined> {
    const path = normalize(join(this.#dir, file));
    if (!path.startsWith(normalize(this.#dir) + sep)) return undefined;
    return readFile(path).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    });
  }
}
