/** Headings of the artifact and model pages: the entity's own, and the selected version's. */
import type { ReactNode } from "react";
import "../../styles/registry.css";
import { Link } from "../../router";

/** The name with its kind chip, the description, then the page's own lines (`children`). */
export function EntityHeader({ name, chip, description, testId, children }: { name: string; chip: ReactNode; description: string | undefined; testId: string; children?: ReactNode }) {
  return (
    <div className="entity-head" data-testid={testId}>
      <div className="title-row">
        <h1 className="entity-title">{name}</h1>
        {chip}
      </div>
      {description ? <p className="entity-description">{description}</p> : null}
      {children}
    </div>
  );
}

/** A version's title, its badges (`children`) and the link to its lineage. */
export function VersionHeading({ title, lineage, children }: { title: string; lineage: string; children?: ReactNode }) {
  return (
    <div className="section-head-row">
      <h2 className="section-title-lg">{title}</h2>
      {children}
      <Link to={lineage} className="btn small" data-testid="lineage-link">
        Lineage
      </Link>
    </div>
  );
}
