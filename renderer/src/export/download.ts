/**
 * Saving files the page made (charts, CSV, reports): a download of a blob URL. In a browser that is the
 * browser's download; in Electron the shell shows its Save dialog. No host call is needed, and the bytes
 * never leave the page except to the user's chosen file.
 */
export function downloadBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.rel = 'noopener';
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
  // Revoke later: Chromium reads the blob after the click handler returns.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function downloadText(text: string, fileName: string, type: string): void {
  downloadBlob(new Blob([text], { type }), fileName);
}

/** A file name from free text: letters, digits, dot, dash and underscore; nothing else. */
export function safeFileName(text: string): string {
  return text.replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '') || 'onnx-studio';
}
