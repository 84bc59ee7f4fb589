/**
 * What a file is, read from its first bytes (its "magic number"), never from the Content-Type or the
 * name the client declares: a script renamed `passport.pdf` is not a PDF. Only the types a
 * verification needs are taken.
 */
export const file_types = ['application/pdf', 'image/jpeg', 'image/png'] as const;
export type FileType = (typeof file_types)[number];

const signatures: readonly { readonly type: FileType; readonly magic: readonly number[] }[] = [
  { type: 'application/pdf', magic: [0x25, 0x50, 0x44, 0x46, 0x2d] }, // %PDF-
  { type: 'image/jpeg', magic: [0xff, 0xd8, 0xff] },
  { type: 'image/png', magic: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
];

export function sniffFileType(content: Uint8Array): FileType | undefined {
  return signatures.find(({ magic }) => magic.every((byte, i) => content[i] === byte))?.type;
}
