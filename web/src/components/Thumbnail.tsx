import { useEffect, useState } from 'react';
import { files } from '../api/dupa';
import type { Entry } from '../api/types';
import { useNearViewport, useObjectUrl } from '../lib/hooks';
import { previewKind } from '../lib/paths';
import { thumbnailKey, thumbnails as defaultThumbnails, type Thumbnailer } from '../lib/thumbnails';

/** Images above this are not fetched for a thumbnail: an icon costs nothing, a 200 MB panorama does. */
const MAX_THUMBNAIL_SOURCE = 32 * 1024 * 1024;

/**
 * Images show a small copy of themselves, made once in the browser and cached (lib/thumbnails), and only once
 * scrolled near; other files an icon.
 */
export function Thumbnail({ vault, entry, at, thumbnails = defaultThumbnails }: { vault: string; entry: Entry; at?: string | null; thumbnails?: Thumbnailer }) {
  const isImage = entry.type === 'file' && previewKind(entry.name) === 'image' && entry.size <= MAX_THUMBNAIL_SOURCE;
  const { near, ref } = useNearViewport<HTMLSpanElement>();
  const [blob, setBlob] = useState<Blob | null>(null);
  const objectUrl = useObjectUrl(blob);
  useEffect(() => {
    if (!isImage || !near) return;
    const controller = new AbortController();
    thumbnails.get(thumbnailKey(vault, entry.path, entry.version), files.downloadUrl(vault, entry.path, { at: at ?? undefined }), controller.signal)
      .then((made) => {
        if (!controller.signal.aborted) setBlob(made);
      })
      // No thumbnail (gone, no access, not decodable): the icon stays.
      .catch(() => {});
    return () => controller.abort();
  }, [isImage, near, vault, entry.path, entry.version, at, thumbnails]);
  if (isImage) {
    return (
      <span className="thumb" ref={ref}>
        {objectUrl ? <img src={objectUrl} alt="" /> : <Icon kind="image" />}
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
