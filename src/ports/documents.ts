// The invoice document port: what goes on an invoice PDF, and where the file is kept. The adapter
// (adapters/documents: pdfkit) renders the same bytes for the same document, so a replayed step writes the same file.

/** Everything printed on an invoice. Plain JSON, so a workflow can journal it as it is. */
export interface InvoiceDocument {
  /** INV-0001 */
  number: string;
  /** YYYY-MM-DD */
  issueDate: string;
  dueDate: string;
  currency: string;
  lines: { description: string; amountMinor: number }[];
  seller: { name: string; address: string[]; taxId?: string; email?: string; bank?: string };
  buyer: { name: string; email?: string };
  /** The page where the client can pay online (Stripe's hosted invoice page). */
  payUrl?: string;
  /** The provider's own invoice number, when the invoice was also issued there. */
  providerNumber?: string;
}

export interface SavedDocument {
  /** Relative to the data folder, e.g. `invoices/INV-0001.pdf`. */
  file: string;
  sha256: string;
  bytes: number;
}

export interface InvoiceDocuments {
  /** The PDF's bytes: the same document always gives the same bytes. */
  render(document: InvoiceDocument): Promise<Buffer>;
  /** Renders and writes `invoices/<number>.pdf` (atomically: a crash leaves the old file or the new one, never half). */
  save(document: InvoiceDocument): Promise<SavedDocument>;
  /** The bytes of a saved PDF, or undefined when the file is gone. */
  read(file: string): Promise<Buffer | undefined>;
}
