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
        {objectUrl ? <img src={objectUrl} alt="" loading="lazy" /> : <Icon kind="image" />}
      </span>
    );
  }
  return (
    <span className="thumb" aria-hidden="true">
      <Icon kind={kindOf(entry)} />
    </span>
  );
}

type IconKind = 'dir' | 'symlink' | 'image' | 'text' | 'pdf' | 'audio' | 'video' | 'file';

function kindOf(entry: Entry): IconKind {
  if (entry.type === 'dir' || entry.type === 'symlink') return entry.type;
  return previewKind(entry.name) ?? 'file';
}

const marks: Partial<Record<IconKind, string>> = { text: 'TXT', pdf: 'PDF', audio: '♪', video: '▶', symlink: '↪', image: 'IMG' };

/** Drawn icons (no emoji font needed): a folder, or a page marked with its kind. */
function Icon({ kind }: { kind: IconKind }) {
  if (kind === 'dir') {
    return (
      <svg className="icon-svg dir" viewBox="0 0 24 24" aria-hidden="true">
        <path d="M2 6a2 2 0 0 1 2-2h5l2 2h9a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2z" />
      </svg>
    );
  }
  return (
    <svg className={`icon-svg file ${kind}`} viewBox="0 0 24 24" aria-hidden="true">
      <path d="M5 2h9l5 5v15H5z" />
      {marks[kind] ? <text x="12" y="18" textAnchor="middle">{marks[kind]}</text> : null}
    </svg>
  );
}
