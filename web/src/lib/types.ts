/** The API's wire shapes, as the link and analytics contracts describe them (snake_case JSON). */

export interface Link {
  id: number;
  short_code: string;
  original_url: string;
  short_url: string;
  clicks: number;
  created_at: string;
  updated_at: string;
  expires_at?: string | null;
  max_visits?: number | null;
  has_password?: boolean;
  tags?: string[];
  title?: string | null;
  forward_query?: boolean;
}

export interface LinkPage {
  items: Link[];
  next_cursor: string | null;
}

/** Body of POST /api/shorten (and, all optional, of PATCH /api/links/{code}). */
export interface LinkInput {
  url?: string;
  custom_code?: string;
  expires_at?: string | null;
  max_visits?: number | null;
  password?: string | null;
  tags?: string[] | null;
  title?: string | null;
  forward_query?: boolean;
}

export interface Bucket {
  value: string;
  clicks: number;
}

export interface Analytics {
  short_code: string;
  from: string;
  to: string;
  interval: 'hour' | 'day';
  totals: { clicks: number; unique_visitors: number; bots: number };
  series: { t: string; clicks: number; unique_visitors: number }[];
  referrers: Bucket[];
  countries: Bucket[];
  browsers: Bucket[];
  os: Bucket[];
  devices: Bucket[];
}
