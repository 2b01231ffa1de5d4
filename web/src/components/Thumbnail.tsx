import { files } from '../api/dupa';
import type { Entry } from '../api/types';
import { useBlobUrl } from '../lib/hooks';
import { previewKind } from '../lib/paths';

/** Images show themselves, fetched only when scrolled near (through the download endpoint); others an icon. */
export function Thumbnail({ vault, entry, at }: { vault: string; entry: Entry; at?: string | null }) {
  const isImage = entry.type === 'file' && previewKind(entry.name) === 'image' && entry.size <= 32 * 1024 * 1024;
  const { objectUrl, ref } = useBlobUrl(isImage ? files.downloadUrl(vault, entry.path, { at: at ?? undefined }) : null, true);
  if (isImage) {
    return (
      <span className="thumb" ref={ref as React.Ref<HTMLSpanElement>}>
        {objectUrl ? <img src={objectUrl} alt="" loading="lazy" /> : <span className="icon-glyph" aria-hidden="true">🖼</span>}
      </span>
    );
  }
  return (
    <span className="thumb" aria-hidden="true">
      <span className="icon-glyph">{icon(entry)}</span>
    </span>
  );
}

function icon(entry: Entry): string {
  if (entry.type === 'dir') return '📁';
  if (entry.type === 'symlink') return '🔗';
  switch (previewKind(entry.name)) {
    case 'text':
      return '📄';
    case 'pdf':
      return '📕';
    case 'audio':
      return '🎵';
    case 'video':
      return '🎬';
    default:
      return '📦';
  }
}
