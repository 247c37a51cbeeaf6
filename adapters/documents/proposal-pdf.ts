// Proposal PDFs with pdfkit (loaded on first use). Deterministic like the invoice PDF: the creation date (which also
// seeds the file ID) is the proposal's date, so the same approved text always renders the same bytes and a retried
// mail attaches the same file. Latin-1 text only (the standard fonts), as for invoices.

import type { ProposalDocument } from '../../src/pipeline/proposal.ts';

const MARGIN = 56;

export async function renderProposalPdf(doc: ProposalDocument): Promise<Buffer> {
  const PDFDocument = (await import('pdfkit')).default;
  const pdf = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    info: {
      Title: doc.title,
      Author: doc.from,
      Subject: `Proposal to ${doc.client}`,
      Creator: 'Solo OS',
      CreationDate: new Date(`${doc.date}T00:00:00Z`),
    },
  });
  const done = new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    pdf.on('data', (c: Buffer) => chunks.push(c));
    pdf.on('end', () => resolve(Buffer.concat(chunks)));
    pdf.on('error', reject);
  });
  const width = pdf.page.width - 2 * MARGIN;
  pdf.font('Helvetica-Bold').fontSize(18).fillColor('black').text(doc.title, { width });
  pdf
    .moveDown(0.3)
    .font('Helvetica')
    .fontSize(10)
    .fillColor('#555555')
    .text(`${doc.from} · for ${doc.client} · ${doc.date}`, { width });
  pdf.moveDown(1).fillColor('black').fontSize(11);
  for (const paragraph of doc.body.split(/\n{2,}/)) pdf.text(paragraph.trim(), { width }).moveDown(0.6);
  pdf.end();
  return done;
}
