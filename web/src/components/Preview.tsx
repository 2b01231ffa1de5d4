import { useEffect, useState } from 'react';
import { files } from '../api/dupa';
import type { Entry } from '../api/types';
import { ErrorMessage, Spinner } from './common';
import { useBlobUrl } from '../lib/hooks';
import { previewKind } from '../lib/paths';

const MAX_PREVIEW = 64 * 1024 * 1024;
const MAX_TEXT = 1024 * 1024;

/** Shows a file in the page: image, text, PDF, audio or video; other types offer a download. */
export function Preview({ vault, entry, at }: { vault: string; entry: Entry; at?: string | null }) {
  const kind = previewKind(entry.name);
  const canShow = kind !== null && entry.size <= MAX_PREVIEW && (kind !== 'text' || entry.size <= MAX_TEXT);
  const { objectUrl, blob, error } = useBlobUrl(canShow ? files.downloadUrl(vault, entry.path, { at: at ?? undefined }) : null);
  const [text, setText] = useState<string | null>(null);
  useEffect(() => {
    setText(null);
    if (kind === 'text' && blob) void blob.text().then(setText);
  }, [blob, kind]);

  if (!canShow) {
    return <p className="muted">{kind === null ? 'No preview for this kind of file.' : 'This file is too large to preview; download it instead.'}</p>;
  }
  if (error) return <ErrorMessage error={error} />;
  if (!objectUrl) return <Spinner label="Loading the preview…" />;
  switch (kind) {
    case 'image':
      return <img className="preview-image" src={objectUrl} alt={entry.name} />;
    case 'text':
      return text === null ? <Spinner /> : <pre className="preview-text" tabIndex={0} aria-label={`Contents of ${entry.name}`}>{text}</pre>;
    case 'pdf':
      return <iframe className="preview-pdf" src={objectUrl} title={`PDF: ${entry.name}`} />;
    case 'audio':
      return <audio className="preview-media" src={objectUrl} controls aria-label={entry.name} />;
    case 'video':
      return <video className="preview-media" src={objectUrl} controls aria-label={entry.name} />;
    default:
      return null;
  }
}
