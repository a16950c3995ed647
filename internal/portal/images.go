package portal

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"

	"github.com/lantoa/lantoa/internal/platform/apperr"
	"github.com/lantoa/lantoa/internal/platform/audit"
	"github.com/lantoa/lantoa/internal/platform/authz"
	"github.com/lantoa/lantoa/internal/platform/db"
)

// Limits on uploaded images. Images are re-encoded, which also drops their metadata (a phone
// photo's EXIF carries where it was taken).
const (
	MaxImageBytes  = 8 << 20    // what an editor may upload
	MaxImagePixels = 40_000_000 // decoded size, against decompression bombs
	MaxImageWidth  = 1600       // stored images are at most this wide…
	MaxImageHeight = 1600       // …and this high
)

// Image is an uploaded picture, kept in the database so that every instance serves it.
//
// An image belongs to the province it was uploaded for, and only that province's posts may show it
// (CreatePost and UpdatePost refuse another province's). Nobody deletes or replaces a stored image
// through the application: an image is written once and served as it is for ever (its address is
// cached as immutable), so no province can remove or overwrite another's. Images are public, as the
// posts they illustrate are, and are served at /media/{id} on every portal.
type Image struct {
	ID          int64     `json:"id"`
	ContentType string    `json:"content_type"`
	Width       int       `json:"width"`
	Height      int       `json:"height"`
	Size        int       `json:"size"`
	Alt         string    `json:"alt,omitempty"`
	Province    string    `json:"province_code"`
	Data        []byte    `json:"-"`
	CreatedAt   time.Time `json:"created_at"`
}

// URL is where the image is served.
func (i Image) URL() string { return "/media/" + strconv.FormatInt(i.ID, 10) }

// sniff recognises the formats we accept by their first bytes, whatever the file is called or the
// browser claims: JPEG, PNG, GIF and WebP.
func sniff(b []byte) string {
	switch {
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return "jpeg"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	case bytes.HasPrefix(b, []byte("GIF87a")) || bytes.HasPrefix(b, []byte("GIF89a")):
		return "gif"
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return "webp"
	}
	return ""
}

func decodeConfig(format string, data []byte) (image.Config, error) {
	r := bytes.NewReader(data)
	switch format {
	case "jpeg":
		return jpeg.DecodeConfig(r)
	case "png":
		return png.DecodeConfig(r)
	case "gif":
		return gif.DecodeConfig(r)
	default:
		return webp.DecodeConfig(r)
	}
}

func decode(format string, data []byte) (image.Image, error) {
	r := bytes.NewReader(data)
	switch format {
	case "jpeg":
		return jpeg.Decode(r)
	case "png":
		return png.Decode(r)
	case "gif":
		return gif.Decode(r) // the first frame: a news picture, not an animation
	default:
		return webp.Decode(r)
	}
}

// ProcessImage checks an upload (type by content, size, pixel count), scales it down to fit
// MaxImageWidth × MaxImageHeight and re-encodes it: photographs as JPEG, PNG and GIF (drawings,
// screenshots, transparency) as PNG.
func ProcessImage(data []byte) (Image, error) {
	if len(data) == 0 {
		return Image{}, apperr.InvalidField("image", "portal.error.image_empty")
	}
	if len(data) > MaxImageBytes {
		return Image{}, apperr.InvalidField("image", "portal.error.image_large", MaxImageBytes>>20)
	}
	format := sniff(data)
	if format == "" {
		return Image{}, apperr.InvalidField("image", "portal.error.image_type")
	}
	cfg, err := decodeConfig(format, data)
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		return Image{}, apperr.InvalidField("image", "portal.error.image_broken")
	}
	if cfg.Width*cfg.Height > MaxImagePixels {
		return Image{}, apperr.InvalidField("image", "portal.error.image_pixels")
	}
	src, err := decode(format, data)
	if err != nil {
		return Image{}, apperr.InvalidField("image", "portal.error.image_broken")
	}
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	scale := min(1, float64(MaxImageWidth)/float64(w), float64(MaxImageHeight)/float64(h))
	nw, nh := max(1, int(float64(w)*scale+0.5)), max(1, int(float64(h)*scale+0.5))
	var dst draw.Image
	if format == "png" || format == "gif" {
		dst = image.NewNRGBA(image.Rect(0, 0, nw, nh))
	} else {
		dst = image.NewRGBA(image.Rect(0, 0, nw, nh))
	}
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, b, draw.Src, nil)
	var out bytes.Buffer
	img := Image{Width: nw, Height: nh}
	if format == "png" || format == "gif" {
		img.ContentType = "image/png"
		err = (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&out, dst)
	} else {
		img.ContentType = "image/jpeg"
		err = jpeg.Encode(&out, dst, &jpeg.Options{Quality: 82})
	}
	if err != nil {
		return Image{}, apperr.Wrap(err, "encode image")
	}
	img.Data, img.Size = out.Bytes(), out.Len()
	return img, nil
}

// UploadImage stores an image for the posts of province ("": the editor's own, as for a post).
// Only the province's editors upload for it; uploading for another province is forbidden.
func (s *Service) UploadImage(ctx context.Context, data []byte, alt, province string) (Image, error) {
	actor := authz.ActorFrom(ctx)
	if !s.IsEditor(ctx) {
		return Image{}, notEditor(actor)
	}
	place := PostInput{Province: province}
	if err := placePost(ctx, s.DB.Reader(), actor, &place); err != nil {
		if apperr.As(err).OutOfScope {
			return Image{}, apperr.New(apperr.Forbidden, "portal.error.not_editor")
		}
		return Image{}, err
	}
	return s.StoreImage(ctx, data, alt, place.Province)
}

// StoreImage checks, scales and stores an image for province as UploadImage does, for another
// module that has checked who may add it (a launch event's photos: the event's administrators,
// who need not be the portal's editors). The image is public at /media/{id} like every other.
func (s *Service) StoreImage(ctx context.Context, data []byte, alt, province string) (Image, error) {
	actor := authz.ActorFrom(ctx)
	if actor == nil {
		return Image{}, apperr.New(apperr.Unauthenticated, "error.login_required")
	}
	if authz.ProvinceOfPath(authz.ProvincePath(province)) == "" {
		return Image{}, apperr.InvalidField("province_code", "portal.error.province_required")
	}
	alt = strings.Join(strings.Fields(alt), " ")
	if utf8.RuneCountInString(alt) > 300 {
		return Image{}, apperr.InvalidField("alt", "portal.error.alt_long")
	}
	img, err := ProcessImage(data)
	if err != nil {
		return Image{}, err
	}
	img.Alt, img.Province = alt, province
	img.CreatedAt = s.Now()
	err = s.DB.WriteTx(ctx, func(tx *db.Tx) error {
		var err error
		img.ID, err = tx.InsertID(ctx, `INSERT INTO portal_images (content_type, width, height, size, data, alt, uploaded_by, province_code, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, img.ContentType, img.Width, img.Height, img.Size, img.Data, img.Alt,
			db.NullInt(actor.UserID), img.Province, db.Millis(img.CreatedAt))
		if err != nil {
			return apperr.Wrap(err, "insert image")
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "portal.image.upload", ObjectType: "image", ObjectID: strconv.FormatInt(img.ID, 10),
			UnitPath: authz.ProvincePath(img.Province), Detail: strconv.Itoa(img.Width) + "x" + strconv.Itoa(img.Height)})
	})
	return img, err
}

// FindImage returns an image with its bytes. Images are public: they illustrate public posts and
// carry nothing else (their metadata was dropped at upload).
func (s *Service) FindImage(ctx context.Context, id int64) (Image, error) {
	var img Image
	var created int64
	err := s.DB.Reader().QueryRowContext(ctx, "SELECT id, content_type, width, height, size, data, alt, province_code, created_at FROM portal_images WHERE id = ?", id).
		Scan(&img.ID, &img.ContentType, &img.Width, &img.Height, &img.Size, &img.Data, &img.Alt, &img.Province, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return Image{}, apperr.New(apperr.NotFound, "portal.error.image_not_found")
	}
	img.CreatedAt = db.FromMillis(created)
	return img, apperr.Wrap(err, "find image")
}
